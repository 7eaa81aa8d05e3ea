import { ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { JobStatus } from '../src/common/tracking/job-status';
import { ChildApp } from './utils/child-app';
import { PrivatePostgres } from './utils/private-postgres';
import { freePort, PrivateRedis } from './utils/private-redis';
import { Env, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { settled, transactionsCsv, txRow, upload } from './utils/uploads';
import { waitFor } from './utils/wait-for';

const ROOT = join(__dirname, '..');

/**
 * What PostgreSQL and Redis going away does to running processes: a restart with an import
 * under way, a restart of an idle worker, Redis restarting (and forgetting the job) after
 * an import's rows are committed, and a worker started while the database is down. The
 * servers are private to this file (the shared ones are never touched); the API runs
 * here, the workers in their own processes, as in production.
 */
describe('faults: PostgreSQL and Redis restarts, starting with the database down', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let env: Env;
  let api: TestApp;
  let worker: ChildApp;
  const children: { stop(): Promise<void> }[] = [];

  /** One statement on a fresh connection (the server restarts under the test's feet). */
  const sql = async <R = Record<string, unknown>>(text: string, params: unknown[] = []) => {
    const client = new Client({ connectionString: env.DATABASE_URL });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(text, params)).rows as R[];
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const count = async (tenant: string) =>
    Number(
      (
        await sql<{ n: string }>('SELECT count(*) AS n FROM transactions WHERE tenant_id = $1', [
          tenant,
        ])
      )[0].n,
    );
  const checkpoint = async (id: string) =>
    (
      await sql<{ checkpoint_row: number }>('SELECT checkpoint_row FROM uploads WHERE id = $1', [
        id,
      ])
    )[0]?.checkpoint_row ?? 0;
  const history = async (token: string, id: string) => {
    const res = await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return res.body.attemptHistory as { outcome: string; workerPid: number }[];
  };
  const alive = (proc: ChildProcess) => proc.exitCode === null && proc.signalCode === null;
  /** The upload's end, or at once an error if the worker process died meanwhile. */
  const ended = (token: string, id: string, timeoutMs?: number) =>
    Promise.race([
      settled(api, token, id, timeoutMs),
      worker.exited.then(({ code, signal }) => {
        throw new Error(
          `the worker exited (${code ?? signal}): ${worker.output.join('').slice(-1500)}`,
        );
      }),
    ]);
  const logged = (app: { logs(): Record<string, unknown>[] }, msg: RegExp) =>
    app.logs().filter((l) => msg.test(String(l.msg)));
  /**
   * The deterministic hook into an import: an uncommitted row with the key of the file's row
   * `row` makes the batch holding that row wait on its lock (mid-statement, every earlier
   * batch committed) until this transaction ends. Resolves once the import is waiting.
   */
  const holdRow = async (tenant: string, row: number) => {
    const blocker = new Client({ connectionString: env.DATABASE_URL });
    blocker.on('error', () => undefined); // a restart ends it too
    await blocker.connect();
    children.push({ stop: () => blocker.end().catch(() => undefined) });
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO transactions (tenant_id, external_id, account, booked_at, amount, currency)
       VALUES ($1, $2, 'X', '2025-01-01', 1, 'EUR')`,
      [tenant, txRow(row).split(',')[0]],
    );
    return {
      waiting: () =>
        waitFor(
          async () =>
            (
              await sql(
                `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                    AND wait_event_type = 'Lock' AND query LIKE 'WITH written AS%'`,
              )
            ).length === 1,
          { what: `the batch with row ${row} to wait on the row lock` },
        ),
      release: () => blocker.query('ROLLBACK'),
    };
  };

  beforeAll(async () => {
    [pg, redis] = await Promise.all([
      PrivatePostgres.start(),
      PrivateRedis.start(['--maxmemory-policy', 'noeviction']),
    ]);
    env = isolatedEnv({
      APP_ROLE: 'api',
      DATABASE_URL: pg.url('jobtrack'),
      REDIS_URL: redis.url,
      UPLOAD_BATCH_ROWS: '500',
      UPLOAD_COPY_CHUNK_ROWS: '500',
    });
    api = await startTestApp(env);
    worker = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
    children.push(worker);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await api?.close();
    await redis?.stop();
    await pg?.destroy();
    if (env) rmSync(env.UPLOAD_DIR, { recursive: true, force: true });
  });

  it('PostgreSQL restarting under an import: the attempt fails, is retried, and completes with exact counts; the worker lives on', async () => {
    const tenant = 'pg-held';
    const token = await api.token({ tenant });
    const rows = 6_000;
    const hold = await holdRow(tenant, 3_000); // the import stops mid-statement in its 6th batch
    const id = await upload(api, token, transactionsCsv(rows));
    await hold.waiting();
    expect(await checkpoint(id)).toBe(2_500);

    await pg.restart('fast'); // every session: "terminating connection due to administrator command"

    const done = await ended(token, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({
      total: rows,
      processed: rows,
      inserted: rows,
      updated: 0,
      unchanged: 0,
      invalid: 0,
    });
    expect(await count(tenant)).toBe(rows);
    // The first attempt's end was written once PostgreSQL was back: retrying, not lost.
    const attempts = await history(token, id);
    expect(attempts.map((a) => [a.outcome, a.workerPid])).toEqual([
      ['retrying', worker.proc.pid],
      ['completed', worker.proc.pid],
    ]);
    expect(logged(worker, /resuming after the checkpoint/).at(-1)).toMatchObject({
      jobId: id,
      checkpointRow: 2_500,
    });
    expect(logged(worker, /database connection lost mid-import/).length).toBeGreaterThan(0);
    expect(alive(worker.proc)).toBe(true);
  });

  it('PostgreSQL restarting under an idle worker: the worker lives on and runs the next jobs', async () => {
    const token = await api.token({ tenant: 'pg-idle' });
    // A finished import leaves an idle connection in the worker's bulk pool.
    expect((await ended(token, await upload(api, token, transactionsCsv(100)))).status).toBe(
      'COMPLETED',
    );
    const before = logged(worker, /idle bulk connection lost/).length;

    await pg.restart('fast');

    await waitFor(() => logged(worker, /idle bulk connection lost/).length > before, {
      what: 'the worker to see its idle connection dropped',
    });
    expect(alive(worker.proc)).toBe(true);
    const id = await upload(api, token, transactionsCsv(1_000, 10_000));
    const done = await ended(token, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ total: 1000, inserted: 1000 });
    expect((await history(token, id)).map((a) => a.outcome)).toEqual(['completed']);
    const job = await api.createJob(token, { script: { steps: 2, stepMs: 0 } });
    expect((await api.waitForStatus(job, JobStatus.COMPLETED)).attempts).toBe(1);
    expect(alive(worker.proc)).toBe(true);
  });

  it('Redis restarting (and forgetting the job) after an import committed its rows costs no attempt', async () => {
    const tenant = 'redis-end';
    const token = await api.token({ tenant });
    const rows = 5_000;
    // Every batch but the last commits; the last waits on the hook while Redis restarts.
    const hold = await holdRow(tenant, rows);
    const id = await upload(api, token, transactionsCsv(rows));
    await hold.waiting();
    expect(await checkpoint(id)).toBe(rows - 500);

    await redis.stop(); // no persistence: the job, its lock and its keys are gone
    await redis.start();
    await hold.release(); // the last batch commits; then "finishing" meets the empty Redis

    const done = await ended(token, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ total: rows, processed: rows, inserted: rows });
    expect(await count(tenant)).toBe(rows);
    expect((await history(token, id)).map((a) => a.outcome)).toEqual(['completed']);
    expect(
      logged(worker, /progress report to the queue failed/).some((l) =>
        /Missing key/.test(JSON.stringify(l.err)),
      ),
    ).toBe(true);
    expect(alive(worker.proc)).toBe(true);
    // The API finds Redis again by itself.
    await waitFor(async () => (await fetch(`${api.url}/health/ready`)).status === 200, {
      what: 'the API to be ready again',
    });
  });

  it('a worker started while PostgreSQL is down says so, retries for DATABASE_CONNECT_TIMEOUT_MS, then exits 1', async () => {
    await pg.stop('fast');
    const started = Date.now();
    const child = await Main.spawn({
      ...env,
      APP_ROLE: 'worker',
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
    });
    children.push(child);
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    const address = `127.0.0.1:${pg.port}`;
    expect(logged(child, /database unreachable at/)[0]?.msg).toBe(
      `database unreachable at ${address}; retrying`,
    );
    const last = child.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(
      new RegExp(`^jobtrack: database unreachable at ${address} \\(gave up after 2 s\\): `),
    );
    expect(child.stderr).not.toMatch(/^\s+at /m); // the message, no stack dump
    expect(child.stderr).not.toMatch(/resolve dependencies/);
    // The worker started before the stop lived through it.
    expect(alive(worker.proc)).toBe(true);
  });

  it('a worker started while PostgreSQL is down starts once the database is back within the window', async () => {
    const child = await Main.spawn({ ...env, APP_ROLE: 'worker' }); // default window: 60 s
    children.push(child);
    await waitFor(() => logged(child, /database unreachable at/).length > 0, {
      what: 'the worker to report the database unreachable',
    });
    await pg.start();
    await waitFor(
      async () => {
        if (!alive(child.proc)) throw new Error(`exited: ${child.stderr}`);
        return (await fetch(`${child.url}/health/startup`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 30_000, what: 'the worker to start' },
    );
    expect(alive(worker.proc)).toBe(true); // the older worker lived through the stop as well
    await worker.stop(); // the next upload is the new worker's

    const token = await api.token({ tenant: 'late-start' });
    const id = await upload(api, token, transactionsCsv(1_000));
    const done = await settled(api, token, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ total: 1000, inserted: 1000 });
    const attempts = await history(token, id);
    expect(attempts.map((a) => [a.outcome, a.workerPid])).toEqual([['completed', child.proc.pid]]);
  });
});

/** The production entry point (src/main.ts) as its own process, watched from its first line. */
class Main {
  private readonly out: string[] = [];
  private readonly err: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    proc.stdout?.on('data', (chunk: Buffer) => this.out.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => this.err.push(chunk.toString()));
  }

  static async spawn(env: Env): Promise<Main> {
    const port = await freePort();
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...env, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new Main(proc, `http://127.0.0.1:${port}`);
  }

  get stderr(): string {
    return this.err.join('');
  }

  logs(): Record<string, unknown>[] {
    return this.out
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
