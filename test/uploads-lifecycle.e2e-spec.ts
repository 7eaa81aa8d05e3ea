import { Client } from 'pg';
import { io } from 'socket.io-client';
import type { ProgressEvent } from '../src/common/progress/progress-event';
import { ChildApp } from './utils/child-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { settled, transactionsCsv, TX_HEADER, txRow, upload } from './utils/uploads';
import { waitFor } from './utils/wait-for';

/**
 * What an upload does over its life: idempotent re-uploads, strict versus partial, cancel
 * at a batch boundary, resume after a worker dies, live events. The API runs here; the
 * imports run in worker processes, as in production.
 */
describe('upload lifecycle (API and workers in separate processes)', () => {
  const env = isolatedEnv({
    APP_ROLE: 'api',
    UPLOAD_BATCH_ROWS: '500',
    UPLOAD_COPY_CHUNK_ROWS: '500',
  });
  let api: TestApp;
  let db: Client;
  let token: string;
  const workers: ChildApp[] = [];
  const startWorker = async () => {
    const worker = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
    workers.push(worker);
    return worker;
  };
  const count = async (tenant: string) =>
    Number(
      (await db.query('SELECT count(*) FROM transactions WHERE tenant_id = $1', [tenant])).rows[0]
        .count,
    );
  const uploadRow = async (id: string) =>
    (await db.query('SELECT status, checkpoint_row, counts FROM uploads WHERE id = $1', [id]))
      .rows[0] as { status: string; checkpoint_row: number; counts: Record<string, number> };

  beforeAll(async () => {
    api = await startTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    token = await api.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await db?.end();
    await api?.close();
    await cleanupEnv(env);
  });

  describe('with one worker', () => {
    beforeAll(async () => {
      await startWorker();
    });

    it('re-uploading a file inserts nothing new; changed rows count as updated', async () => {
      const t = await api.token({ tenant: 'idem' });
      const csv = transactionsCsv(1_200);
      const first = await settled(api, t, await upload(api, t, csv));
      expect(first.counts).toMatchObject({ total: 1200, inserted: 1200, updated: 0, unchanged: 0 });

      const again = await settled(api, t, await upload(api, t, csv));
      expect(again.counts).toMatchObject({ total: 1200, inserted: 0, updated: 0, unchanged: 1200 });

      // Two amounts changed and one row new; a duplicate key inside the file: last one wins.
      const changed = [
        TX_HEADER,
        txRow(1, 1),
        txRow(2, 2),
        txRow(3),
        txRow(5000),
        txRow(4, 44),
        txRow(4, 45),
      ].join('\n');
      const third = await settled(api, t, await upload(api, t, changed));
      expect(third.counts).toMatchObject({ total: 6, inserted: 1, updated: 4, unchanged: 1 });
      expect(await count('idem')).toBe(1201);
      const { rows } = await db.query(
        "SELECT amount::text FROM transactions WHERE tenant_id = 'idem' AND external_id = 'TX-4'",
      );
      expect(rows[0].amount).toBe('0.4500');
    });

    it('strict: one invalid row fails the upload and writes nothing, with every error kept', async () => {
      const t = await api.token({ tenant: 'strict' });
      const lines = transactionsCsv(2_000).trimEnd().split('\n');
      lines[1500] = lines[1500].replace(',EUR,', ',EURO,'); // row 1500, after three batches
      lines[1800] = lines[1800].replace('2025-03-', '2025-13-');
      const done = await settled(
        api,
        t,
        await upload(api, t, lines.join('\n'), { mode: 'strict' }),
      );
      expect(done.status).toBe('FAILED');
      expect(done.errorMessage).toMatch(/2 of 2000 rows are invalid; nothing was written/);
      expect(done.counts).toMatchObject({ total: 2000, processed: 2000, invalid: 2, inserted: 0 });
      expect(done.written).toBe('nothing was written');
      expect(await count('strict')).toBe(0);
      const errors = await api.http
        .get(`/api/v1/uploads/${done.id}/errors`)
        .set('Authorization', `Bearer ${t}`)
        .expect(200);
      expect(
        errors.body.items.map((e: { row: number; column: string }) => [e.row, e.column]),
      ).toEqual([
        [1500, 'currency'],
        [1800, 'booked_at'],
      ]);

      // The same file without the bad rows goes through in one piece.
      const ok = await settled(
        api,
        t,
        await upload(api, t, transactionsCsv(2_000), { mode: 'strict' }),
      );
      expect(ok.status).toBe('COMPLETED');
      expect(ok.counts).toMatchObject({ total: 2000, inserted: 2000, invalid: 0 });
      expect(await count('strict')).toBe(2000);
    });

    it('sends upload.progress and upload.completed with counts', async () => {
      const socket = io(`${api.url}/progress`, {
        auth: { token },
        transports: ['websocket'],
        reconnection: false,
      });
      const events: { name: string; payload: ProgressEvent }[] = [];
      socket.onAny((name: string, payload: ProgressEvent) => events.push({ name, payload }));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      try {
        const id = await upload(api, token, transactionsCsv(3_000, 100_000));
        const completed = await waitFor(
          () => events.find((e) => e.name === 'upload.completed' && e.payload.id === id),
          { what: 'upload.completed' },
        );
        expect(completed.payload.counts).toMatchObject({ total: 3000, inserted: 3000 });
        const progress = events.filter((e) => e.name === 'upload.progress' && e.payload.id === id);
        expect(progress.length).toBeGreaterThan(0);
        expect(progress.at(-1)!.payload.counts).toMatchObject({ processed: expect.any(Number) });
        expect(events.some((e) => e.name === 'job.completed' && e.payload.id === id)).toBe(true);
      } finally {
        socket.disconnect();
      }
    });

    it('cancel stops a running partial upload at a batch: committed rows stay, and it says so', async () => {
      const t = await api.token({ tenant: 'cancel-partial' });
      const rows = 200_000;
      const id = await upload(api, t, transactionsCsv(rows));
      await waitFor(async () => (await uploadRow(id)).checkpoint_row >= 1_000, {
        what: 'a few batches to commit',
      });
      await api.http
        .post(`/api/v1/jobs/${id}/cancel`)
        .set('Authorization', `Bearer ${t}`)
        .send({ reason: 'wrong file' })
        .expect(200);
      const done = await settled(api, t, id);
      expect(done.status).toBe('CANCELLED');
      const stored = await count('cancel-partial');
      // Stopped before the end of the file; what the row says was written is exactly what is there.
      expect(stored).toBeLessThan(rows);
      expect(done.counts.inserted).toBe(stored);
      expect(done.counts.processed).toBe(stored);
      expect(done.written).toMatch(new RegExp(`^rows 1-${stored} were written and kept`));
      // Nothing lands later either: once the worker has closed its attempt as cancelled
      // (it has stopped), the table still holds what the row says.
      await waitFor(
        async () => {
          const view = await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${t}`);
          return view.body.attemptHistory?.at(-1)?.outcome === 'cancelled';
        },
        { what: 'the worker to close its attempt' },
      );
      expect(await count('cancel-partial')).toBe(stored);
    });

    it('cancel of a running strict upload leaves nothing', async () => {
      const t = await api.token({ tenant: 'cancel-strict' });
      const id = await upload(api, t, transactionsCsv(200_000), { mode: 'strict' });
      await waitFor(
        async () => {
          const { rows } = await db.query('SELECT progress FROM uploads WHERE id = $1', [id]);
          return rows[0].progress >= 10;
        },
        { what: 'the upload to be under way' },
      );
      await api.http
        .post(`/api/v1/jobs/${id}/cancel`)
        .set('Authorization', `Bearer ${t}`)
        .expect(200);
      const done = await settled(api, t, id);
      expect(done.status).toBe('CANCELLED');
      expect(done.written).toBe('nothing was written');
      expect(await count('cancel-strict')).toBe(0);
    });
  });

  it('resumes after the checkpoint when its worker dies: final counts equal an uninterrupted run', async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    const doomed = await startWorker();
    const t = await api.token({ tenant: 'resume' });
    const rows = 150_000;
    const id = await upload(api, t, transactionsCsv(rows));
    const mid = await waitFor(
      async () => {
        const row = await uploadRow(id);
        return row.checkpoint_row >= 5_000 ? row : undefined;
      },
      { what: 'some batches to commit', timeoutMs: 30_000 },
    );
    doomed.kill('SIGKILL');
    await doomed.exited;
    const atDeath = await uploadRow(id);
    expect(atDeath.status).toBe('PROCESSING');
    expect(atDeath.checkpoint_row).toBeGreaterThanOrEqual(mid.checkpoint_row);
    expect(atDeath.checkpoint_row).toBeLessThan(rows);

    await startWorker();
    const done = await settled(api, t, id, 60_000);
    expect(done.status).toBe('COMPLETED');
    // A restart from row 1 would count the committed rows as unchanged; a resume does not.
    expect(done.counts).toEqual({
      total: rows,
      processed: rows,
      inserted: rows,
      updated: 0,
      unchanged: 0,
      invalid: 0,
    });
    expect(await count('resume')).toBe(rows);
    const view = (
      await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${t}`).expect(200)
    ).body;
    expect(view.attemptHistory.map((a: { outcome: string }) => a.outcome)).toEqual([
      'lost',
      'completed',
    ]);
  });

  it('SIGTERM mid-import hands the upload back within the grace period; another worker resumes it', async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    const stopping = await ChildApp.start({
      ...env,
      APP_ROLE: 'worker',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_GRACE_MS: '500',
    });
    workers.push(stopping);
    const t = await api.token({ tenant: 'drain' });
    const rows = 150_000;
    const id = await upload(api, t, transactionsCsv(rows));
    await waitFor(async () => (await uploadRow(id)).checkpoint_row >= 5_000, {
      what: 'some batches to commit',
      timeoutMs: 60_000,
    });
    const signalled = Date.now();
    stopping.kill('SIGTERM');
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
    // The import's connection stays open until the attempt is handed back (the pool closes last).
    expect(Date.now() - signalled).toBeLessThan(10_000);
    const handedBack = await uploadRow(id);
    expect(handedBack.status).toBe('QUEUED');
    expect(handedBack.checkpoint_row).toBeLessThan(rows);

    await startWorker();
    const done = await settled(api, t, id, 120_000);
    expect(done.counts).toMatchObject({ total: rows, inserted: rows, updated: 0, unchanged: 0 });
    const view = (
      await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${t}`).expect(200)
    ).body;
    expect(view.attemptHistory.map((a: { outcome: string }) => a.outcome)).toEqual([
      'handed_back',
      'completed',
    ]);
  }, 180_000); // two workers' start-ups and a 150k-row import on a loaded 2-core machine
});
