/**
 * Dispatch latency: how long the API takes to answer a create-and-enqueue request
 * (row inserted as PENDING, BullMQ job added, row marked QUEUED, 202 sent).
 * 1,000 sequential HTTP requests over keep-alive after 200 warm-up requests, on an
 * API-only replica (no workers competing for the CPU). Target: p99 < 10 ms.
 *
 *   npm run bench:dispatch [-- requests]
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';

async function main() {
  const requests = Number(process.argv[2] ?? 1000);
  const env = benchEnv({ APP_ROLE: 'api' });
  const app = await startTestApp(env);
  try {
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
    for (let i = 0; i < 200; i++) await post();
    const times: number[] = [];
    const started = performance.now();
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      await post();
      times.push(performance.now() - t0);
    }
    const wall = performance.now() - started;
    times.sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(2);
    console.log(`machine: ${machine()}`);
    console.log(`dispatch: ${requests} sequential POST /api/v1/test-jobs (202, row QUEUED)`);
    console.log(
      `  p50 ${f(percentile(times, 50))} ms  p90 ${f(percentile(times, 90))} ms  p99 ${f(percentile(times, 99))} ms  max ${f(times[times.length - 1])} ms  (${Math.round((requests / wall) * 1000)} req/s)`,
    );
  } finally {
    await app.close();
    await cleanupEnv(env);
  }
}

runBench(main);
