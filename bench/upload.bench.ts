/**
 * CSV upload end to end: realistic transactions files of 10k, 100k and 1M rows are POSTed
 * to the API (this process, APP_ROLE=api) and imported by a worker process (APP_ROLE=worker);
 * the clock runs from the first byte sent to COMPLETED in PostgreSQL. Beside each run, the
 * same file goes through `psql \copy` into an equivalent logged table with the same unique
 * key: the ratio is the import's share of PostgreSQL's own bulk-load rate. Then one
 * 1,000-row batch upsert (COPY into staging + INSERT … ON CONFLICT) is timed on its own.
 *
 * Targets: 10k rows < 2 s; 1M rows >= 50 % of \copy; worker peak RSS < 300 MB;
 * 1,000-row batch upsert < 50 ms.
 *
 *   npm run bench:upload [-- 10000,100000,1000000]
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  mkdtempSync,
  openAsBlob,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { once } from 'node:events';
import { Client, Pool } from 'pg';
import { copyLine, DatasetWriter } from '../src/modules/uploads/datasets/dataset-writer';
import { TRANSACTIONS_DATASET } from '../src/modules/uploads/datasets/transactions.dataset';
import { ChildApp } from '../test/utils/child-app';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';

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

/** Realistic rows: quoted descriptions with commas and quotes, negative amounts, empty optionals. */
async function generate(path: string, rows: number, prefix: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(HEADER);
  let chunk = '';
  for (let i = 1; i <= rows; i++) {
    const day = `2025-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`;
    const amount = (((i * 7919) % 2_000_000) - 1_000_000) / 100;
    const shop = SHOPS[i % SHOPS.length].replace(/"/g, '""');
    chunk += `${prefix}-${i.toString(36).toUpperCase()}-${i},DE${String(89370400440532013000n + BigInt(i % 1000))},${day},${amount.toFixed(2)},${CURRENCIES[i % 6]},"${shop}, card ${i % 9999}, ref ${i}",${CATEGORIES[i % 6]}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** Peak resident set of a process (VmHWM), in MiB. */
function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

async function rawCopy(databaseUrl: string, path: string): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`DROP TABLE IF EXISTS bench_copy;
    CREATE TABLE bench_copy (id bigserial primary key, tenant_id text not null default 'bench',
      external_id text not null, account text not null, booked_at date not null,
      amount numeric(18,4) not null, currency char(3) not null, description text, category text,
      created_at timestamptz not null default now(), updated_at timestamptz not null default now(),
      UNIQUE (tenant_id, external_id))`);
  await db.end();
  const started = performance.now();
  execFileSync('psql', [
    databaseUrl,
    '-q',
    '-c',
    `\\copy bench_copy (external_id, account, booked_at, amount, currency, description, category) FROM '${path}' CSV HEADER`,
  ]);
  return (performance.now() - started) / 1000;
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
  const sizes = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number);
  const env = benchEnv({ APP_ROLE: 'api', UPLOAD_MAX_BYTES: String(2 * 1024 ** 3) });
  const dir = mkdtempSync(join(tmpdir(), 'jobtrack-upload-bench-'));
  const api = await startTestApp(env);
  // The production entry point, built: what a worker pod runs (no TypeScript loader in its RSS).
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const worker = await ChildApp.start(
    {
      ...env,
      APP_ROLE: 'worker',
      // e.g. --max-old-space-size=192, as a container's memory limit would be matched
      NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS ?? '',
    },
    {},
    'dist/src/main.js',
  );
  try {
    console.log(`machine: ${machine()}`);
    console.log(`worker idle peak RSS: ${peakRssMiB(worker.proc.pid!)} MiB`);
    const token = await api.token({ tenant: 'bench' });
    for (const rows of sizes) {
      const path = join(dir, `transactions-${rows}.csv`);
      await generate(path, rows, `S${rows}`);
      const mb = statSync(path).size / 1024 ** 2;
      const form = new FormData();
      form.set('dataset', 'transactions');
      form.set('mode', 'partial');
      form.set('file', await openAsBlob(path), `transactions-${rows}.csv`);
      const started = performance.now();
      const res = await fetch(`${api.url}/api/v1/uploads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const accepted = (performance.now() - started) / 1000;
      const body = (await res.json()) as { id: string };
      if (res.status !== 202)
        throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
      let row;
      for (;;) {
        row = await api.orm.em
          .fork()
          .getConnection()
          .execute('SELECT status, counts, completed_at FROM uploads WHERE id = ?', [body.id]);
        if (['COMPLETED', 'FAILED'].includes(row[0].status)) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (performance.now() - started) / 1000;
      if (row[0].status !== 'COMPLETED') throw new Error(`upload ${row[0].status}`);
      const copySeconds = await rawCopy(env.DATABASE_URL, path);
      const rate = rows / seconds;
      const copyRate = rows / copySeconds;
      console.log(
        `${rows.toLocaleString('en')} rows (${mb.toFixed(1)} MB): end to end ${seconds.toFixed(2)} s ` +
          `(202 after ${accepted.toFixed(2)} s), ${Math.round(rate).toLocaleString('en')} rows/s; ` +
          `psql \\copy ${copySeconds.toFixed(2)} s, ${Math.round(copyRate).toLocaleString('en')} rows/s; ` +
          `ratio ${(rate / copyRate).toFixed(2)}; worker peak RSS so far ${peakRssMiB(worker.proc.pid!)} MiB; ` +
          `counts ${JSON.stringify(row[0].counts)}`,
      );
      const imported = worker.logs().findLast((l) => l.msg === 'upload imported');
      if (imported) {
        const { totalMs, writeMs, readStalledMs } = imported;
        console.log(
          `  worker: import ${totalMs} ms, writing batches ${writeMs} ms, reading stalled on writes ${readStalledMs} ms`,
        );
      }
      rmSync(path);
    }
    console.log(
      `1,000-row batch upsert (COPY + upsert + commit): ${await batchUpsert(env.DATABASE_URL)}`,
    );
  } finally {
    await worker.stop();
    await api.close();
    await cleanupEnv(env);
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(main);
