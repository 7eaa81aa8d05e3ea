/**
 * The full ECB history loaded end to end: a local server serves the real eurofxref-hist.zip
 * (1999-01-04..2026-04-13, test/fixtures/ecb), an admin asks for the whole range over HTTP,
 * and the clock runs until the backfill job is COMPLETED (one download, every rate upserted,
 * one tracking row per day). Peak RSS of the process (API and worker in one, APP_ROLE=all)
 * is sampled every 20 ms and reported above its idle value just before the request.
 * Targets: under 5 s, under 50 MB above idle.
 *
 *   npm run bench:ecb-history [-- runs]
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { ecbClock } from '../src/modules/exchange-rates/ecb-schedule';
import { fixture } from '../test/utils/fixtures';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, runBench } from './bench-env';

const ZIP = fixture('ecb', 'eurofxref-hist_1999-01-04_to_2026-04-13.zip');

async function once(): Promise<void> {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/zip' }).end(ZIP),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const env = benchEnv({
    APP_ROLE: 'all',
    ECB_BASE_URL: `http://127.0.0.1:${port}/stats/eurofxref`,
  });
  ecbClock.now = () => new Date('2026-04-14T12:00:00Z');
  const app = await startTestApp(env);
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  try {
    const admin = await app.token({ sub: 'bench', tenant: null, roles: ['admin'] });
    await new Promise((r) => setTimeout(r, 500)); // settle after start-up
    const idle = process.memoryUsage().rss;
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    const res = await fetch(`${app.url}/api/v1/exchange-rates/updates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '1999-01-04', to: '2026-04-13' }),
    });
    const { jobs } = (await res.json()) as { jobs: { id: string }[] };
    let job: { status: string; daysStored?: number; daysClosed?: number; errorMessage?: string };
    for (;;) {
      const got = await fetch(`${app.url}/api/v1/jobs/${jobs[0].id}`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      job = (await got.json()) as typeof job;
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (job.status !== 'COMPLETED') throw new Error(`backfill ${job.status}: ${job.errorMessage}`);
    const { rows } = await db.query(
      `SELECT (SELECT count(*) FROM exchange_rates)::int AS rates,
              (SELECT count(*) FROM exchange_rate_updates)::int AS days`,
    );
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(
      `  ${seconds.toFixed(2)} s end to end; ${rows[0].rates} rates, ${rows[0].days} day rows ` +
        `(${job.daysStored} published, ${job.daysClosed} closed); peak RSS ${mb(peak)} MiB, ` +
        `${mb(peak - idle)} MiB above idle (${mb(idle)} MiB)`,
    );
  } finally {
    await db.end();
    await app.close();
    server.close();
    await cleanupEnv(env);
  }
}

async function main() {
  const runs = Number(process.argv[2] ?? 3);
  console.log(`machine: ${machine()}`);
  console.log(
    `ecb-history: full history ZIP (${ZIP.length} bytes) → backfill 1999-01-04..2026-04-13`,
  );
  for (let i = 0; i < runs; i++) await once();
}

runBench(main);
