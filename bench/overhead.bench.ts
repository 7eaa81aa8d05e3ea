/**
 * Tracking overhead: jobs/s for no-op jobs through TrackedProcessor (guarded start with
 * an attempt row, completion, attempt close, cancel listener) against a raw BullMQ
 * worker with a no-op processor, same Redis, same job options, same run. Jobs are
 * queued first, then the clock runs from the worker's start to the last completion.
 * Target: tracked >= 50 % of raw.
 *
 *   npm run bench:overhead [-- jobs [concurrency,...]]
 */
import 'reflect-metadata';
import { Queue, Worker } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { redisOptionsFromUrl } from '../src/common/redis/redis-options';
import { JobWorkers } from '../src/common/tracking/job-workers';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, runBench } from './bench-env';

const KEEP = {
  removeOnComplete: { age: 86_400, count: 1_000 },
  removeOnFail: { age: 604_800, count: 5_000 },
};

async function raw(
  env: Record<string, string>,
  jobs: number,
  concurrency: number,
): Promise<number> {
  const connection = redisOptionsFromUrl(env.REDIS_URL);
  const name = `raw-${concurrency}`;
  const queue = new Queue(name, { connection, prefix: env.QUEUE_PREFIX });
  for (let i = 0; i < jobs; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, jobs - i) }, (_, k) => ({
        name,
        data: { id: String(i + k) },
        opts: { ...KEEP, priority: 3, attempts: 3 },
      })),
    );
  }
  let done = 0;
  let started = 0;
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker(name, async () => undefined, {
      connection,
      prefix: env.QUEUE_PREFIX,
      concurrency,
      autorun: false,
    });
    worker.on('completed', () => {
      if (++done === jobs) void worker.close().then(() => resolve());
    });
    started = performance.now();
    void worker.run();
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await queue.obliterate({ force: true });
  await queue.close();
  return jobs / seconds;
}

async function tracked(jobs: number, concurrency: number): Promise<number> {
  const env = benchEnv({ APP_ROLE: 'all' });
  const app = await startTestApp(env, { concurrency });
  try {
    const queue = app.app.get(JobTypeRegistry).get('test')!.queue;
    await queue.pause();
    const owner = { sub: 'bench', tenant: 'bench', roles: [] };
    for (let i = 0; i < jobs; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, jobs - i) }, () =>
          app.service.createAndEnqueue({ script: { noop: true } }, owner),
        ),
      );
    }
    const worker = app.app.get(JobWorkers).workerOf('test')!;
    let done = 0;
    const finished = new Promise<void>((resolve) =>
      worker.on('completed', () => ++done === jobs && resolve()),
    );
    const started = performance.now();
    await queue.resume();
    await finished;
    const seconds = (performance.now() - started) / 1000;
    const [{ n }] = await app.orm.em
      .fork()
      .getConnection()
      .execute<{ n: number }[]>(
        "SELECT count(*)::int AS n FROM test_jobs WHERE status = 'COMPLETED'",
      );
    if (n !== jobs) throw new Error(`only ${n} of ${jobs} rows COMPLETED`);
    return jobs / seconds;
  } finally {
    await app.close();
    await cleanupEnv(env);
  }
}

async function main() {
  const jobs = Number(process.argv[2] ?? 5000);
  console.log(`machine: ${machine()}`);
  console.log(
    `overhead: ${jobs} no-op jobs, queued first, timed from worker start to last completion`,
  );
  const levels = process.argv[3] ? process.argv[3].split(',').map(Number) : [1, 50];
  for (const concurrency of levels) {
    const env = benchEnv();
    const rawRate = await raw(env, jobs, concurrency);
    await cleanupEnv(env);
    const trackedRate = await tracked(jobs, concurrency);
    console.log(
      `  concurrency ${String(concurrency).padStart(2)}: raw BullMQ ${Math.round(rawRate)} jobs/s, TrackedProcessor ${Math.round(trackedRate)} jobs/s, ratio ${(trackedRate / rawRate).toFixed(2)}, i.e. ${(1000 / rawRate).toFixed(3)} vs ${(1000 / trackedRate).toFixed(3)} ms of throughput per job`,
    );
  }
}

runBench(main);
