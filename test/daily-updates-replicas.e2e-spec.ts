import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { ChildApp } from './utils/child-app';
import { ecbHist90d } from './utils/ecb-files';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

/**
 * Three replicas, each running the calendar's cron every second from start-up, back after
 * an outage (Thursday 2026-04-02 to Wednesday 2026-04-08): each slot is created once, each
 * slot and each domain job runs once, and the ECB is asked once per open day.
 */
describe('daily-update calendar on several replicas', () => {
  const requests: string[] = [];
  let server: Server;
  let env: Record<string, string>;
  let db: Client;
  const replicas: ChildApp[] = [];

  beforeAll(async () => {
    const file = await ecbHist90d('2026-04-08');
    server = createServer((req, res) => {
      requests.push(req.url!);
      if (req.url!.endsWith('eurofxref-hist-90d.xml')) {
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(file);
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    env = isolatedEnv({
      ECB_BASE_URL: `http://127.0.0.1:${port}/ecb`,
      ECB_DAILY_CRON: 'off',
      MAINTENANCE_ENABLED: 'true',
      DAILY_CRON: '* * * * * *',
      TEST_CLOCK_AT: '2026-04-09T08:00:00Z',
    });
    // Migrate once, as a deployment does, then start the replicas together.
    await (await startTestApp({ ...env, MAINTENANCE_ENABLED: 'false' })).close();
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) r.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.exited));
    await db?.end();
    await new Promise((r) => server?.close(r));
    if (env) await cleanupEnv(env);
  }, 60_000);

  it('creates each slot once and runs its work once', async () => {
    replicas.push(...(await Promise.all([0, 1, 2].map(() => ChildApp.start(env)))));
    await waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT count(*)::int AS slots,
                  count(*) FILTER (WHERE status IN ('COMPLETED', 'FAILED'))::int AS ended
           FROM daily_updates`,
        );
        return rows[0].slots === 7 && rows[0].ended === 7 ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the 7 missed slots to end' },
    );
    // Let every replica tick a few more times: still nothing new.
    await new Promise((r) => setTimeout(r, 2_500));
    const slots = await db.query(
      `SELECT update_date::text AS d, state, attempts FROM daily_updates ORDER BY update_date`,
    );
    expect(slots.rows).toEqual([
      { d: '2026-04-02', state: 'done', attempts: 1 },
      { d: '2026-04-03', state: 'no_data', attempts: 1 },
      { d: '2026-04-04', state: 'no_data', attempts: 1 },
      { d: '2026-04-05', state: 'no_data', attempts: 1 },
      { d: '2026-04-06', state: 'no_data', attempts: 1 },
      { d: '2026-04-07', state: 'done', attempts: 1 },
      { d: '2026-04-08', state: 'done', attempts: 1 },
    ]);
    const children = await db.query(
      `SELECT update_date::text AS d, attempts FROM exchange_rate_updates ORDER BY update_date`,
    );
    expect(children.rows).toEqual([
      { d: '2026-04-02', attempts: 1 },
      { d: '2026-04-07', attempts: 1 },
      { d: '2026-04-08', attempts: 1 },
    ]);
    expect(requests.filter((r) => r.includes('eurofxref'))).toHaveLength(3);
    // Every replica looked; between them they created each slot once.
    const created = replicas.flatMap((r) =>
      r.logs().flatMap((l) => (l.msg === 'daily slots created' ? (l.slots as string[]) : [])),
    );
    expect(created.sort()).toEqual(slots.rows.map((s) => `${s.d} exchange-rates`));
  }, 120_000);
});
