/**
 * The jobs API on a large history: seeds N tracking rows (default 1,000,000: 70 % uploads,
 * 30 % test jobs) over 50 tenants and a year, with realistic status mixes, then times HTTP
 * requests end to end (GET through the whole app, auth and validation included).
 * Also times GET /jobs/{id} (the lookup of one job of any type), found and not found.
 * Targets: a filtered first page < 50 ms; stats < 200 ms.
 *
 *   npm run bench:jobs [-- rows]
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';

const STATUS_MIX = `(ARRAY['COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','FAILED','CANCELLED','QUEUED','PROCESSING','RETRYING','PENDING','COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','COMPLETED','FAILED'])[1 + abs(hashint4(i)) % 20]`;
const TERMINAL = `IN ('COMPLETED','FAILED','CANCELLED')`;

async function seed(databaseUrl: string, rows: number): Promise<void> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const uploads = Math.round(rows * 0.7);
  const common = (table: string) => `
    INSERT INTO ${table} (id, status, priority, tenant_id, created_by, created_at, updated_at, started_at, completed_at,
      attempts, max_attempts, queue_job_id, progress %EXTRA_COLS%)
    SELECT id, status, priority, tenant_id, 'seed', created_at, created_at, created_at + interval '1 second',
      CASE WHEN status ${TERMINAL} THEN created_at + (1 + i % 600) * interval '1 second' END,
      1, 3, id::text, CASE WHEN status = 'COMPLETED' THEN 100 ELSE 0 END %EXTRA_VALS%
    FROM (SELECT i, gen_random_uuid() AS id, ${STATUS_MIX} AS status,
        (ARRAY['LOW','NORMAL','NORMAL','NORMAL','HIGH','URGENT'])[1 + abs(hashint4(i + 1)) % 6] AS priority,
        CASE WHEN i % 100 = 0 THEN NULL ELSE 'tenant-' || (abs(hashint4(i + 2)) % 50) END AS tenant_id,
        now() - (i % 365) * interval '1 day' - (i % 86400) * interval '1 second' AS created_at
      FROM generate_series(1, %N%) i) s`;
  await db.query(
    common('uploads')
      .replace(
        '%EXTRA_COLS%',
        ', dataset, mode, original_filename, stored_path, size_bytes, sha256, counts',
      )
      .replace(
        '%EXTRA_VALS%',
        `, 'transactions', 'partial', 'statement-' || i || '.csv', '/nonexistent/' || id, 1000, repeat('0', 64), '{"total":0}'::jsonb`,
      )
      .replace('%N%', String(uploads)),
  );
  await db.query(
    common('test_jobs')
      .replace('%EXTRA_COLS%', ', script, runs')
      .replace('%EXTRA_VALS%', `, '{}'::jsonb, 0`)
      .replace('%N%', String(rows - uploads)),
  );
  // As autovacuum would have left a table this old: visibility map set, statistics fresh.
  await db.query('VACUUM ANALYZE uploads');
  await db.query('VACUUM ANALYZE test_jobs');
  await db.end();
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const env = benchEnv({ APP_ROLE: 'api' });
  const app = await startTestApp(env);
  try {
    console.log(`machine: ${machine()}`);
    let started = performance.now();
    await seed(env.DATABASE_URL, rows);
    console.log(
      `seeded ${rows.toLocaleString('en')} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const tenant = await app.token({ tenant: 'tenant-7' });
    const admin = await app.token({ tenant: null, roles: ['admin'] });
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const one = async (table: string) => {
      const db = new Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      const { rows: found } = await db.query<{ id: string }>(
        `SELECT id FROM ${table} WHERE tenant_id = 'tenant-7' ORDER BY created_at DESC LIMIT 1`,
      );
      await db.end();
      return found[0].id;
    };
    const [uploadId, testId] = [await one('uploads'), await one('test_jobs')];
    const cases: [string, string, string, number?][] = [
      ['tenant, first page, no filter', tenant, '/api/v1/jobs'],
      ['tenant, status=FAILED', tenant, '/api/v1/jobs?status=FAILED'],
      [
        'tenant, status=FAILED,CANCELLED & type=upload',
        tenant,
        '/api/v1/jobs?status=FAILED,CANCELLED&type=upload',
      ],
      ['tenant, last 30 days, priority=HIGH', tenant, `/api/v1/jobs?from=${from}&priority=HIGH`],
      ['tenant, q=statement-1234', tenant, '/api/v1/jobs?q=statement-1234'],
      ['tenant, page 10 (offset 450)', tenant, '/api/v1/jobs?offset=450'],
      ['tenant, active', tenant, '/api/v1/jobs/active'],
      ['admin, first page, no filter', admin, '/api/v1/jobs'],
      ['admin, status=FAILED', admin, '/api/v1/jobs?status=FAILED'],
      ['tenant, stats days=30', tenant, '/api/v1/jobs/stats?days=30'],
      ['admin, stats days=30', admin, '/api/v1/jobs/stats?days=30'],
      ['admin, stats days=365', admin, '/api/v1/jobs/stats?days=365'],
      ['tenant, GET /jobs/{id} (an upload)', tenant, `/api/v1/jobs/${uploadId}`],
      ['tenant, GET /jobs/{id} (a test job)', tenant, `/api/v1/jobs/${testId}`],
      ['tenant, GET /jobs/{id} (unknown: 404)', tenant, `/api/v1/jobs/${uuidv7()}`, 404],
    ];
    console.log('| request | total | p50 | p95 | max |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [name, token, path, status = 200] of cases) {
      const times: number[] = [];
      let total: unknown;
      for (let i = 0; i < 25; i++) {
        started = performance.now();
        const res = await fetch(`${app.url}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { total?: number };
        if (res.status !== status)
          throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
        times.push(performance.now() - started);
        total = body.total;
      }
      const sorted = times.slice(5).sort((a, b) => a - b);
      console.log(
        `| ${name} | ${total ?? '-'} | ${percentile(sorted, 50).toFixed(1)} ms | ${percentile(sorted, 95).toFixed(1)} ms | ${sorted.at(-1)!.toFixed(1)} ms |`,
      );
    }
  } finally {
    await app.close();
    await cleanupEnv(env);
  }
}

runBench(main);
