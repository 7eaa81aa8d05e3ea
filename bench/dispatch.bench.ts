/**
 * Dispatch latency: how long the API takes to answer a create-and-enqueue request
 * (row inserted as PENDING, BullMQ job added, row marked QUEUED, 202 sent).
 * 1,000 sequential HTTP requests over keep-alive after 200 warm-up requests, on an
 * API-only replica (no workers competing for the CPU). Target: p99 < 10 ms.
 *
 * Baseline, same run (shared machines drift by 3x from hour to hour, so the ratio is the
 * figure to compare): the bare work underneath, i.e. the same single-row INSERT the app
 * sends (all 25 columns) through one `pg` client into `baseline_jobs` (a `LIKE test_jobs
 * INCLUDING ALL` copy: same columns, checks and indexes) in the same database, then one
 * BullMQ `Queue.add` (ioredis) with the app's job options, under its own prefix on the
 * same Redis. As many baseline operations as requests, sequential, after as many
 * warm-up ones, interleaved one for one with the requests (alternating which goes first)
 * so that drift hits both alike. Printed: the baseline's percentiles and the ratio
 * dispatch / baseline at p50 and p99. req/s and ops/s are 1 / mean latency.
 *
 *   npm run bench:dispatch [-- requests]
 */
import 'reflect-metadata';
import { Queue } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { redisOptionsFromUrl } from '../src/common/redis/redis-options';
import { TEST_QUEUE } from '../test/support/test-job/test-job.constants';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';

/** The row MikroORM inserts for a created test job (`em.insert(job)`: every column, one statement). */
function row(id: string): Record<string, unknown> {
  const now = new Date();
  return {
    id,
    status: 'PENDING',
    priority: 'NORMAL',
    tenant_id: 'bench',
    created_by: 'tester',
    created_at: now,
    updated_at: now,
    started_at: null,
    completed_at: null,
    attempts: 0,
    max_attempts: 3,
    lock_token: null,
    queue_job_id: id,
    progress: 0,
    progress_message: null,
    error_message: null,
    error_details: null,
    result: null,
    cancelled_by: null,
    cancel_reason: null,
    parent_id: null,
    parent_type: null,
    domain_key: null,
    script: '{"noop":true}',
    runs: 0,
  };
}

const COLUMNS = Object.keys(row(''));
const INSERT = `INSERT INTO baseline_jobs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/** The options JobOperations.enqueue gives a fresh NORMAL job with 3 attempts. */
const JOB_OPTIONS = {
  priority: 3,
  attempts: 7,
  backoff: { type: 'jobtrack' },
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
};

/** Percentiles of sorted latencies. */
function summary(sorted: number[]): string {
  const f = (n: number) => n.toFixed(2);
  return `p50 ${f(percentile(sorted, 50))} ms  p90 ${f(percentile(sorted, 90))} ms  p99 ${f(percentile(sorted, 99))} ms  max ${f(sorted[sorted.length - 1])} ms`;
}

function rate(times: number[]): number {
  return Math.round((times.length / times.reduce((s, t) => s + t, 0)) * 1000);
}

async function main() {
  const requests = Number(process.argv[2] ?? 1000);
  const env = benchEnv({ APP_ROLE: 'api' });
  const app = await startTestApp(env);
  const pg = new Client({ connectionString: env.DATABASE_URL });
  const queue = new Queue(TEST_QUEUE, {
    connection: { ...redisOptionsFromUrl(env.REDIS_URL), enableOfflineQueue: false },
    // Under the run's prefix, so cleanupEnv removes it; apart from the app's queue.
    prefix: `${env.QUEUE_PREFIX}:baseline`,
  });
  try {
    await pg.connect();
    await pg.query('CREATE TABLE baseline_jobs (LIKE test_jobs INCLUDING ALL)');
    await queue.waitUntilReady();
    const token = await app.token({ tenant: 'bench' });
    const post = async () => {
      const res = await fetch(`${app.url}/api/v1/test-jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"script":{"noop":true}}',
      });
      if (res.status !== 202) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { status: string };
      if (body.status !== 'QUEUED') throw new Error(`job not queued: ${body.status}`);
    };
    const bare = async () => {
      const id = uuidv7();
      await pg.query(INSERT, Object.values(row(id)));
      await queue.add('test', { id }, { ...JOB_OPTIONS, jobId: id });
    };
    const timed = async (op: () => Promise<void>, into: number[]) => {
      const t0 = performance.now();
      await op();
      into.push(performance.now() - t0);
    };
    const times: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 200; i++) await (i % 2 ? bare().then(post) : post().then(bare));
    for (let i = 0; i < requests; i++) {
      if (i % 2) {
        await timed(bare, baseline);
        await timed(post, times);
      } else {
        await timed(post, times);
        await timed(bare, baseline);
      }
    }
    times.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    console.log(`machine: ${machine()}`);
    console.log(`dispatch: ${requests} sequential POST /api/v1/test-jobs (202, row QUEUED)`);
    console.log(`  ${summary(times)}  (${rate(times)} req/s)`);
    console.log(
      `baseline: ${requests} sequential bare single-row INSERT (pg) + BullMQ Queue.add, interleaved with the requests`,
    );
    console.log(`  ${summary(baseline)}  (${rate(baseline)} ops/s)`);
    console.log(
      `ratio dispatch / baseline: p50 ${(percentile(times, 50) / percentile(baseline, 50)).toFixed(2)}  p99 ${(percentile(times, 99) / percentile(baseline, 99)).toFixed(2)}`,
    );
  } finally {
    await queue.close();
    await pg.end();
    await app.close();
    await cleanupEnv(env);
  }
}

runBench(main);
