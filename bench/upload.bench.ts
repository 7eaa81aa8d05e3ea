/**
 * CSV upload end to end, as issue #17 asks: a realistic transactions file (1M rows, 108 MB)
 * POSTed to the service and imported into a `transactions` table that already holds 3M rows
 * of other tenants, in the two set-ups:
 *
 * 1. **default**: one process, `node dist/src/main.js` with the default settings (what
 *    `npm start` runs: API and worker together). While the upload runs, GET /health/ready
 *    and GET /api/v1/jobs are timed back to back (p50/p99/max).
 * 2. **split**: an API process and a worker process (`APP_ROLE=api` / `worker`).
 *
 * The clock runs from the first byte sent to COMPLETED in PostgreSQL. In the same run, the
 * same file goes through `psql \copy` into `bench_copy` (same columns, same unique key,
 * built from `transactions` so it holds the same rows when it is loaded): the ratio is the
 * upload's rate over \copy's. Peak RSS (VmHWM) of the process that imports, idle and after.
 * Then one 1,000-row batch upsert (the slow path's write) is timed on its own.
 *
 * Targets: ratio >= 0.5 in both set-ups; importing process peak RSS < 300 MB and flat with
 * the file size; API p99 < 50 ms during the upload in the default set-up.
 *
 *   [BENCH_UPLOAD_SLOW=1] npm run bench:upload [-- rows [split-sizes] [prefill]]
 *   e.g. npm run bench:upload -- 1000000 1000000,5000000 3000000
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { Client, Pool } from 'pg';
import { copyLine, DatasetWriter } from '../src/modules/uploads/datasets/dataset-writer';
import { TRANSACTIONS_DATASET } from '../src/modules/uploads/datasets/transactions.dataset';
import { ChildApp } from '../test/utils/child-app';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, peakRssMiB, percentile, runBench } from './bench-env';

const HEADER = 'external_id,account,booked_at,amount,currency,description,category\n';
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF', 'JPY', 'SEK'];
const CATEGORIES = ['groceries', 'rent', 'salary', 'travel', 'utilities', ''];
const SHOPS = [
  'REWE Markt',
  'Amazon EU S.a.r.l.',
  'Deutsche Bahn',
  'Stadtwerke',
  'Café "Zur Post"',
];

/**
 * BENCH_UPLOAD_SLOW=1 writes every account with a trailing space (valid: the reader trims
 * it, but the stored value would differ from the cell as COPY reads it): every chunk then
 * takes the JavaScript reader, the slow path, whose batches are held as rows.
 */
const PADDED = process.env.BENCH_UPLOAD_SLOW === '1' ? ' ' : '';

/** Realistic rows: quoted descriptions with commas and quotes, negative amounts, empty optionals. */
async function generate(path: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(HEADER);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    const day = `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
    const amount = (((i * 7919) % 2_000_000) - 1_000_000) / 100;
    const shop = SHOPS[i % SHOPS.length].replace(/"/g, '""');
    chunk += `${prefix}-${i.toString(36).toUpperCase()}-${i},DE${String(89370400440532013000n + BigInt(i % 1000))}${PADDED},${day},${amount.toFixed(2)},${CURRENCIES[i % 6]},"${shop}, card ${i % 9999}, ref ${i}",${CATEGORIES[i % 6]}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** The other tenants' rows: `rows` spread over 50 tenants, as a busy shared table holds them. */
async function prefill(db: Client, rows: number): Promise<void> {
  await db.query(
    `INSERT INTO transactions (tenant_id, external_id, account, booked_at, amount, currency, description, category)
    SELECT 'tenant-' || (i % 50), 'X-' || i, 'DE89370400440532013' || lpad((i % 1000)::text, 3, '0'),
      date '2024-01-01' + (i % 700)::int, ((i * 7919) % 2000000 - 1000000) / 100.0,
      (ARRAY['EUR','USD','GBP','CHF','JPY','SEK'])[1 + i % 6],
      'Shop ' || (i % 97) || ', card ' || (i % 9999) || ', ref ' || i,
      (ARRAY['groceries','rent','salary','travel','utilities',NULL])[1 + i % 6]
    FROM generate_series(1::bigint, $1::bigint) i`,
    [rows],
  );
  await db.query('VACUUM ANALYZE transactions');
}

/** `bench_copy`: the same columns, key and rows as `transactions` now, its own tenant default. */
async function copyTable(db: Client): Promise<void> {
  await db.query(`DROP TABLE IF EXISTS bench_copy;
    CREATE TABLE bench_copy (LIKE transactions INCLUDING ALL);
    ALTER TABLE bench_copy ALTER tenant_id SET DEFAULT 'bench-copy';
    INSERT INTO bench_copy SELECT * FROM transactions`);
  await db.query('VACUUM ANALYZE bench_copy');
}

async function rawCopy(db: Client, databaseUrl: string, path: string): Promise<number> {
  await db.query('CHECKPOINT');
  const started = performance.now();
  execFileSync('psql', [
    databaseUrl,
    '-q',
    '-c',
    `\\copy bench_copy (external_id, account, booked_at, amount, currency, description, category) FROM '${path}' CSV HEADER`,
  ]);
  return (performance.now() - started) / 1000;
}

async function count(db: Client, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

interface Sampler {
  stop(): Promise<string>;
}

/** Times GET /health/ready and GET /api/v1/jobs back to back until stopped. */
function sampleApi(url: string, token: string): Sampler {
  const times: Record<string, number[]> = { '/health/ready': [], '/api/v1/jobs': [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const path of Object.keys(times)) {
        const t0 = performance.now();
        const res = await fetch(`${url}${path}`, {
          headers: path.startsWith('/api') ? { authorization: `Bearer ${token}` } : {},
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        times[path].push(performance.now() - t0);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return Object.entries(times)
        .map(([path, ms]) => {
          const sorted = ms.sort((a, b) => a - b);
          const f = (n: number) => n.toFixed(1);
          return `${path}: ${sorted.length} requests, p50 ${f(percentile(sorted, 50))} ms, p99 ${f(percentile(sorted, 99))} ms, max ${f(sorted[sorted.length - 1])} ms`;
        })
        .join('; ');
    },
  };
}

/**
 * Samples the importer's memory from its /metrics every 250 ms until stopped; reports the
 * sample with the highest RSS and what V8 held then (heap used / total, external memory:
 * Buffers and other memory outside the JS heap). Where the RSS above idle goes.
 */
function sampleMemory(url: string): Sampler {
  const mib = (text: string, name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20;
  let peak = { rss: 0, used: 0, total: 0, external: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await (await fetch(`${url}/metrics`)).text().catch(() => '');
      const rss = mib(text, 'process_resident_memory_bytes');
      if (rss > peak.rss) {
        peak = {
          rss,
          used: mib(text, 'nodejs_heap_size_used_bytes'),
          total: mib(text, 'nodejs_heap_size_total_bytes'),
          external: mib(text, 'nodejs_external_memory_bytes'),
        };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const f = (n: number) => n.toFixed(0);
      return `highest sampled RSS ${f(peak.rss)} MiB: JS heap used ${f(peak.used)} of ${f(peak.total)} MiB, external ${f(peak.external)} MiB`;
    },
  };
}

interface SetUp {
  name: string;
  apiUrl: string;
  importer: ChildApp;
}

async function uploadOnce(
  setUp: SetUp,
  db: Client,
  databaseUrl: string,
  token: string,
  dir: string,
  rows: number,
  prefix: string,
  sampleLatency: boolean,
): Promise<void> {
  const path = join(dir, `transactions-${prefix}.csv`);
  await generate(path, rows, prefix);
  const mb = statSync(path).size / 1024 ** 2;
  const before = await count(db, 'transactions');
  await copyTable(db); // the same rows as `transactions` holds now
  await db.query('CHECKPOINT');
  const form = new FormData();
  form.set('dataset', 'transactions');
  form.set('mode', 'partial');
  form.set('file', await openAsBlob(path), `transactions-${rows}.csv`);
  const sampler = sampleLatency ? sampleApi(setUp.apiUrl, token) : undefined;
  const memory = sampleMemory(setUp.importer.url);
  const started = performance.now();
  const res = await fetch(`${setUp.apiUrl}/api/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const accepted = (performance.now() - started) / 1000;
  const body = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
  let row;
  for (;;) {
    ({ rows: row } = await db.query('SELECT status, counts FROM uploads WHERE id = $1', [body.id]));
    if (['COMPLETED', 'FAILED'].includes(row[0].status)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const latency = await sampler?.stop();
  const memoryAtPeak = await memory.stop();
  if (row[0].status !== 'COMPLETED') throw new Error(`upload ${row[0].status}`);
  const copySeconds = await rawCopy(db, databaseUrl, path);
  const rate = rows / seconds;
  const copyRate = rows / copySeconds;
  const pid = setUp.importer.proc.pid!;
  console.log(
    `[${setUp.name}] ${rows.toLocaleString('en')} rows (${mb.toFixed(1)} MB) into a table of ${before.toLocaleString('en')} rows: ` +
      `end to end ${seconds.toFixed(2)} s (202 after ${accepted.toFixed(2)} s), ${Math.round(rate).toLocaleString('en')} rows/s; ` +
      `psql \\copy (same rows already in bench_copy) ${copySeconds.toFixed(2)} s, ${Math.round(copyRate).toLocaleString('en')} rows/s; ` +
      `RATIO ${(rate / copyRate).toFixed(2)}; importing process peak RSS so far ${peakRssMiB(pid)} MiB; counts ${JSON.stringify(row[0].counts)}`,
  );
  if (latency) console.log(`  API during the upload: ${latency}`);
  console.log(`  importer memory: ${memoryAtPeak}`);
  const imported = setUp.importer.logs().findLast((l) => l.msg === 'upload imported');
  if (imported) {
    const { totalMs, writeMs, readStalledMs, fastRows, slowRows } = imported;
    console.log(
      `  importer: import ${totalMs} ms, writing ${writeMs} ms, reading stalled on writes ${readStalledMs} ms; rows COPYed as they are ${fastRows}, parsed in JS ${slowRows}`,
    );
  }
  rmSync(path);
}

async function batchUpsert(databaseUrl: string): Promise<string> {
  const pool = new Pool({ connectionString: databaseUrl, max: 1 });
  const client = await pool.connect();
  const writer = new DatasetWriter(TRANSACTIONS_DATASET, 'batch-bench');
  await writer.prepare(client);
  const batch = (round: number, changed: boolean) =>
    Array.from({ length: 1000 }, (_, i) =>
      copyLine(
        {
          external_id: `B-${round}-${i}`,
          account: 'DE89370400440532013000',
          booked_at: '2025-06-01',
          amount: changed ? '2.5000' : '1.2500',
          currency: 'EUR',
          description: `batch ${round} row ${i}`,
          category: null,
        },
        writer.columns,
      ),
    ).join('');
  const time = async (text: string) => {
    const started = performance.now();
    await client.query('BEGIN');
    await writer.write(client, text);
    await client.query('COMMIT');
    return performance.now() - started;
  };
  const results: Record<string, number[]> = { insert: [], unchanged: [], update: [] };
  for (let round = 0; round < 50; round++) {
    results.insert.push(await time(batch(round, false)));
    results.unchanged.push(await time(batch(round, false)));
    results.update.push(await time(batch(round, true)));
  }
  client.release();
  await pool.end();
  return Object.entries(results)
    .map(([what, ms]) => {
      const sorted = ms.slice(5).sort((a, b) => a - b); // first rounds warm the caches
      return `${what}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms`;
    })
    .join('; ');
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const splitSizes = (process.argv[3] ?? String(rows)).split(',').map(Number);
  const prefillRows = Number(process.argv[4] ?? 3_000_000);
  const env = benchEnv({ APP_ROLE: 'api', UPLOAD_MAX_BYTES: String(2 * 1024 ** 3) });
  const dir = mkdtempSync(join(tmpdir(), 'jobtrack-upload-bench-'));
  // Schema and a token from an in-process app, closed before anything is timed.
  const setup = await startTestApp(env);
  const token = await setup.token({ tenant: 'bench' });
  await setup.close();
  // The production entry point, built: what `npm start` and a worker pod run.
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  // Default settings: only where the service finds PostgreSQL, Redis and its files.
  const base = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    UPLOAD_DIR: env.UPLOAD_DIR,
    UPLOAD_MAX_BYTES: String(2 * 1024 ** 3),
    NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS ?? '',
  };
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const started: ChildApp[] = [];
  try {
    console.log(`machine: ${machine()}`);
    const t0 = performance.now();
    await prefill(db, prefillRows);
    console.log(
      `transactions pre-filled with ${prefillRows.toLocaleString('en')} rows of 50 other tenants in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    // 1. The default set-up: one process.
    const all = await ChildApp.start(base, {}, 'dist/src/main.js');
    started.push(all);
    console.log(
      `[default] one process (APP_ROLE=all), idle peak RSS ${peakRssMiB(all.proc.pid!)} MiB`,
    );
    const single = { name: 'default', apiUrl: all.url, importer: all };
    await uploadOnce(single, db, env.DATABASE_URL, token, dir, rows, 'D1', true);
    await all.stop();

    // 2. The split set-up: API and worker processes.
    const api = await ChildApp.start({ ...base, APP_ROLE: 'api' }, {}, 'dist/src/main.js');
    started.push(api);
    const worker = await ChildApp.start({ ...base, APP_ROLE: 'worker' }, {}, 'dist/src/main.js');
    started.push(worker);
    console.log(`[split] worker idle peak RSS ${peakRssMiB(worker.proc.pid!)} MiB`);
    const split = { name: 'split', apiUrl: api.url, importer: worker };
    for (const [i, size] of splitSizes.entries()) {
      await uploadOnce(split, db, env.DATABASE_URL, token, dir, size, `P${i}`, false);
    }
    console.log(
      `1,000-row batch upsert of the slow path (COPY + upsert + commit): ${await batchUpsert(env.DATABASE_URL)}`,
    );
  } finally {
    for (const child of started) await child.stop();
    await db.end();
    await cleanupEnv(env);
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
