import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { ChildApp } from './utils/child-app';
import { UPLOAD_QUEUE } from '../src/modules/uploads/uploads.constants';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { settled, transactionsCsv, upload } from './utils/uploads';
import { waitFor } from './utils/wait-for';

/**
 * GET /jobs, /jobs/active, /jobs/stats across job types (the test type and uploads), on
 * known data: rows are created through the API, then their statuses and times are set in
 * SQL so that every expected number can be worked out by hand.
 */
describe('jobs API: search, active, stats across types', () => {
  const env = isolatedEnv({ UPLOAD_BATCH_ROWS: '200', UPLOAD_COPY_CHUNK_ROWS: '200' });
  let app: TestApp;
  let db: Client;
  let acme: string;
  let globex: string;
  let admin: string;
  const ids: Record<string, string> = {};
  const get = (path: string, token: string) =>
    app.http.get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    // No workers: rows stay where the test puts them (uploads run only where asked below).
    app = await startTestApp({ ...env, APP_ROLE: 'api' });
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    acme = await app.token({ tenant: 'acme' });
    globex = await app.token({ tenant: 'globex' });
    admin = await app.token({ tenant: null, roles: ['admin'] });

    // acme: 4 test jobs + 2 uploads; globex: 1 test job; system: 1 test job (admin only).
    for (const name of ['t1', 't2', 't3', 't4']) ids[name] = await app.createJob(acme);
    ids.g1 = await app.createJob(globex);
    ids.sys = (
      await app.http
        .post('/api/v1/test-jobs/system')
        .set('Authorization', `Bearer ${admin}`)
        .send({})
        .expect(202)
    ).body.id;
    ids.u1 = await upload(app, acme, transactionsCsv(3), { filename: 'march statement.csv' });
    ids.u2 = await upload(app, acme, transactionsCsv(3), {
      filename: 'april.csv',
      priority: 'HIGH',
    });

    // Known times and outcomes (day 0 = now - 1 day; older rows fall outside days=30).
    const set = async (table: string, id: string, sql: string) =>
      db.query(`UPDATE ${table} SET ${sql} WHERE id = $1`, [id]);
    const day = (n: number) => `now() - interval '${n} days'`;
    await set(
      'test_jobs',
      ids.t1,
      `status='COMPLETED', created_at=${day(1)}, started_at=${day(1)}, completed_at=${day(1)} + interval '10 seconds'`,
    );
    await set(
      'test_jobs',
      ids.t2,
      `status='COMPLETED', created_at=${day(2)}, started_at=${day(2)}, completed_at=${day(2)} + interval '30 seconds'`,
    );
    await set(
      'test_jobs',
      ids.t3,
      `status='FAILED', created_at=${day(3)}, started_at=${day(3)}, completed_at=${day(3)} + interval '5 seconds', error_message='boom'`,
    );
    await set(
      'test_jobs',
      ids.t4,
      `status='COMPLETED', created_at=${day(40)}, started_at=${day(40)}, completed_at=${day(40)} + interval '100 seconds'`,
    );
    await set(
      'uploads',
      ids.u1,
      `status='CANCELLED', created_at=${day(4)}, started_at=${day(4)}, completed_at=${day(4)} + interval '2 seconds'`,
    );
    await set('uploads', ids.u2, `status='QUEUED', created_at=${day(0.5)}`);
    await set(
      'test_jobs',
      ids.g1,
      `status='COMPLETED', created_at=${day(1)}, started_at=${day(1)}, completed_at=${day(1)} + interval '1000 seconds'`,
    );
    await set(
      'test_jobs',
      ids.sys,
      `status='PROCESSING', created_at=${day(0.25)}, started_at=${day(0.25)}`,
    );
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await cleanupEnv(env);
  });

  const idsOf = (body: { items: { id: string }[] }) => body.items.map((j) => j.id);

  it('lists the caller’s jobs of every type, newest first, with total and paging', async () => {
    const all = await get('/api/v1/jobs', acme).expect(200);
    expect(all.body).toMatchObject({ total: 6, limit: 50, offset: 0 });
    expect(idsOf(all.body)).toEqual([ids.u2, ids.t1, ids.t2, ids.t3, ids.u1, ids.t4]);
    expect(all.body.items[0]).toMatchObject({
      type: 'upload',
      summary: 'april.csv · transactions',
      priority: 'HIGH',
    });
    expect(all.body.items[1]).toMatchObject({ type: 'test', summary: null });

    const page = await get('/api/v1/jobs?limit=2&offset=2', acme).expect(200);
    expect(page.body).toMatchObject({ total: 6, limit: 2, offset: 2 });
    expect(idsOf(page.body)).toEqual([ids.t2, ids.t3]);

    const oldest = await get('/api/v1/jobs?sort=created_at&limit=1', acme).expect(200);
    expect(idsOf(oldest.body)).toEqual([ids.t4]);
  });

  it('filters by status (several), type, priority, time window and text', async () => {
    const byStatus = await get('/api/v1/jobs?status=FAILED,CANCELLED', acme).expect(200);
    expect(idsOf(byStatus.body)).toEqual([ids.t3, ids.u1]);
    const repeated = await get('/api/v1/jobs?status=FAILED&status=CANCELLED', acme).expect(200);
    expect(idsOf(repeated.body)).toEqual([ids.t3, ids.u1]);

    const uploads = await get('/api/v1/jobs?type=upload', acme).expect(200);
    expect(idsOf(uploads.body)).toEqual([ids.u2, ids.u1]);

    const high = await get('/api/v1/jobs?priority=HIGH', acme).expect(200);
    expect(idsOf(high.body)).toEqual([ids.u2]);

    const from = new Date(Date.now() - 2.5 * 86_400_000).toISOString();
    const to = new Date(Date.now() - 0.75 * 86_400_000).toISOString();
    const window = await get(`/api/v1/jobs?from=${from}&to=${to}`, acme).expect(200);
    expect(idsOf(window.body)).toEqual([ids.t1, ids.t2]);

    const text = await get('/api/v1/jobs?q=MARCH', acme).expect(200);
    expect(idsOf(text.body)).toEqual([ids.u1]);
    const byId = await get(`/api/v1/jobs?q=${ids.t3}`, acme).expect(200);
    expect(idsOf(byId.body)).toEqual([ids.t3]);
    const wildcard = await get('/api/v1/jobs?q=%25', acme).expect(200); // a literal %, not "anything"
    expect(wildcard.body.total).toBe(0);
  });

  it('scopes to the tenant; admins see every tenant and system jobs', async () => {
    expect(idsOf((await get('/api/v1/jobs', globex).expect(200)).body)).toEqual([ids.g1]);
    const all = await get('/api/v1/jobs', admin).expect(200);
    expect(all.body.total).toBe(8);
    expect(idsOf(all.body)).toContain(ids.sys);
    expect(idsOf(all.body)).toContain(ids.g1);
    await get(`/api/v1/jobs/${ids.t1}`, globex).expect(404);
    await get(`/api/v1/jobs/${ids.sys}`, acme).expect(404);
    await get(`/api/v1/jobs/${ids.sys}`, admin).expect(200);
  });

  it('GET /jobs/{id} shows a job of any type with its domain details', async () => {
    const job = await get(`/api/v1/jobs/${ids.u1}`, acme).expect(200);
    expect(job.body).toMatchObject({
      id: ids.u1,
      type: 'upload',
      dataset: 'transactions',
      originalFilename: 'march statement.csv',
      counts: expect.any(Object),
    });
    expect(job.body.storedPath).toBeUndefined();
  });

  it('lists active jobs', async () => {
    expect(idsOf((await get('/api/v1/jobs/active', acme).expect(200)).body)).toEqual([ids.u2]);
    expect(idsOf((await get('/api/v1/jobs/active', admin).expect(200)).body)).toEqual([
      ids.sys,
      ids.u2,
    ]);
  });

  it('computes stats that match the data by hand', async () => {
    const stats = (await get('/api/v1/jobs/stats?days=30', acme).expect(200)).body;
    // In the window: t1 (10 s), t2 (30 s) COMPLETED; t3 (5 s) FAILED; u1 (2 s) CANCELLED; u2 QUEUED.
    expect(stats).toMatchObject({
      days: 30,
      total: 5,
      byStatus: { COMPLETED: 2, FAILED: 1, CANCELLED: 1, QUEUED: 1, PROCESSING: 0 },
      byType: {
        test: { total: 3, byStatus: { COMPLETED: 2, FAILED: 1 } },
        upload: { total: 2, byStatus: { CANCELLED: 1, QUEUED: 1 } },
      },
      averageDurationSeconds: 20,
      successRate: 0.6667,
      totalProcessingSeconds: 47,
      active: 1,
    });
    const wide = (await get('/api/v1/jobs/stats?days=60', acme).expect(200)).body;
    expect(wide).toMatchObject({ total: 6, averageDurationSeconds: 46.667, successRate: 0.75 });
    const everyone = (await get('/api/v1/jobs/stats', admin).expect(200)).body;
    expect(everyone).toMatchObject({ total: 7, active: 2 }); // + g1 and the system job
  });

  it('answers 400 naming the parameter for malformed or out-of-range values', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=ten', 'limit'],
      ['offset=-1', 'offset'],
      ['status=DONE', 'status'],
      ['priority=LOUD', 'priority'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01', 'to'],
      ['sort=name', 'sort'],
      ['type=nope', 'type'],
      ['bogus=1', 'bogus'],
      [`from=${new Date().toISOString()}&to=2020-01-01T00:00:00Z`, 'from'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/v1/jobs?${query}`, acme);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const stats = await get('/api/v1/jobs/stats?days=0', acme);
    expect(stats.status).toBe(400);
    expect(stats.body.errors[0].field).toBe('days');
  });
});

describe('jobs API: cancel and retry of uploads', () => {
  const env = isolatedEnv({ UPLOAD_BATCH_ROWS: '500', UPLOAD_COPY_CHUNK_ROWS: '500' });
  let app: TestApp;
  let worker: ChildApp | undefined;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp({ ...env, APP_ROLE: 'api' }); // no worker until one is started
    token = await app.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    await cleanupEnv(env);
  });
  const post = (path: string) => app.http.post(path).set('Authorization', `Bearer ${token}`);

  it('cancels a queued upload (it leaves the queue), 409 once ended; retry runs it again', async () => {
    const queue = app.app.get<Queue>(getQueueToken(UPLOAD_QUEUE));
    const id = await upload(app, token, transactionsCsv(10));
    expect(await queue.getJob(id)).toBeDefined();
    const cancelled = await post(`/api/v1/jobs/${id}/cancel`)
      .send({ reason: 'not now' })
      .expect(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancelReason: 'not now' });
    expect(await queue.getJob(id)).toBeUndefined();

    const again = await post(`/api/v1/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.jobStatus).toBe('CANCELLED');

    const retried = await post(`/api/v1/jobs/${id}/retry`).expect(200);
    expect(retried.body.status).toBe('QUEUED');
    worker = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
    const done = await settled(app, token, id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toMatchObject({ total: 10, inserted: 10 });
    expect((await post(`/api/v1/jobs/${id}/retry`)).status).toBe(409);
    expect((await post(`/api/v1/jobs/${id}/cancel`)).status).toBe(409);
  });

  it('retries a failed upload: it goes back to QUEUED with a fresh budget', async () => {
    // Strict with an invalid row: fails at once (not retried by itself).
    const bad = transactionsCsv(5).replace(',EUR,', ',XXX,');
    const id = await upload(app, token, bad, { mode: 'strict' });
    const failed = await settled(app, token, id);
    expect(failed.status).toBe('FAILED');
    const retried = await post(`/api/v1/jobs/${id}/retry`).expect(200);
    expect(retried.body.status).toBe('QUEUED');
    expect(retried.body.maxAttempts).toBeGreaterThan(failed.attempts);
    const again = await waitFor(async () => {
      const view = await settled(app, token, id);
      return view.attempts === failed.attempts + 1 ? view : undefined;
    });
    expect(again.status).toBe('FAILED'); // same file, same verdict
  });
});
