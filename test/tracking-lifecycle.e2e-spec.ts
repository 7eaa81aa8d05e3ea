import { JobStatus } from '../src/common/tracking/job-status';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('tracking lifecycle (real PostgreSQL, Redis, BullMQ)', () => {
  const env = isolatedEnv();
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(env);
    token = await t.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  const create = (body: object, bearer = token) =>
    t.http.post('/api/v1/test-jobs').set('Authorization', `Bearer ${bearer}`).send(body);
  const getJob = (id: string, bearer = token) =>
    t.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${bearer}`);
  const until = (id: string, status: JobStatus) => t.waitForStatus(id, status);

  it('answers 202 with the queued job and a Location, then completes it with progress and one attempt', async () => {
    const res = await create({ script: { steps: 3, stepMs: 20 } }).expect(202);
    expect(res.headers.location).toBe(`/api/v1/jobs/${res.body.id}`);
    expect(res.body).toMatchObject({
      type: 'test',
      status: 'QUEUED',
      tenantId: 'acme',
      createdBy: 'tester',
      attempts: 0,
    });
    const done = await until(res.body.id, JobStatus.COMPLETED);
    expect(done).toMatchObject({
      progress: 100,
      attempts: 1,
      runs: 1,
      result: { runs: 1, attempt: 1 },
    });
    expect(done.startedAt!.getTime()).toBeLessThanOrEqual(done.completedAt!.getTime());
    const view = (await getJob(res.body.id).expect(200)).body;
    expect(view.attemptHistory).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'completed',
        workerPid: process.pid,
        errorClass: null,
      }),
    ]);
  });

  it('retries a failing job with growing delays and stops at max_attempts', async () => {
    const res = await create({ script: { failTimes: 99 }, maxAttempts: 3 }).expect(202);
    const failed = await until(res.body.id, JobStatus.FAILED);
    expect(failed).toMatchObject({
      attempts: 3,
      runs: 3,
      errorMessage: 'planned failure on attempt 3',
    });
    const history = (await getJob(res.body.id).expect(200)).body.attemptHistory;
    expect(history.map((a: { outcome: string }) => a.outcome)).toEqual([
      'retrying',
      'retrying',
      'failed',
    ]);
    const starts = history.map((a: { startedAt: string }) => Date.parse(a.startedAt));
    // BACKOFF_BASE_MS=100: at least 90 ms, then 180 ms (the -10 % jitter) between attempts.
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(90);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(180);
  });

  it('recovers when a later attempt succeeds', async () => {
    const res = await create({ script: { failTimes: 1 } }).expect(202);
    const done = await until(res.body.id, JobStatus.COMPLETED);
    expect(done).toMatchObject({ attempts: 2, runs: 2, errorMessage: null });
  });

  it('fails a non-retryable error at once, without a stack trace in the API', async () => {
    const res = await create({ script: { nonRetryable: true } }).expect(202);
    const failed = await until(res.body.id, JobStatus.FAILED);
    expect(failed).toMatchObject({
      attempts: 1,
      runs: 1,
      errorMessage: 'planned permanent failure',
    });
    expect(failed.errorDetails).toMatchObject({
      class: 'NonRetryableError',
      details: { reason: 'test' },
    });
    const view = (await getJob(res.body.id).expect(200)).body;
    expect(view.errorDetails).toEqual({ class: 'NonRetryableError', details: { reason: 'test' } });
    expect(JSON.stringify(view)).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('fails, saying why, a job whose result cannot be stored (not run again, attempt closed)', async () => {
    const res = await create({ script: { unstorableResult: true } }).expect(202);
    const failed = await until(res.body.id, JobStatus.FAILED);
    expect(failed).toMatchObject({ attempts: 1, runs: 1, result: null });
    expect(failed.errorMessage).toMatch(/^the job's result could not be stored: /);
    const view = (await getJob(res.body.id).expect(200)).body;
    expect(view.attemptHistory.map((a: { outcome: string }) => a.outcome)).toEqual(['failed']);
  });

  it('treats a rejection without a reason as a failure, never as success', async () => {
    const res = await create({ script: { throwUndefined: true }, maxAttempts: 2 }).expect(202);
    const failed = await until(res.body.id, JobStatus.FAILED);
    expect(failed).toMatchObject({ attempts: 2, runs: 2, errorMessage: 'undefined' });
  });

  it('returns the existing row for a duplicate domain key instead of running twice', async () => {
    const first = await create({ domainKey: 'fx-EUR-2025-01-02' }).expect(202);
    const second = await create({ domainKey: 'fx-EUR-2025-01-02' }).expect(200);
    expect(second.body.id).toBe(first.body.id);
    const done = await until(first.body.id, JobStatus.COMPLETED);
    expect(done.runs).toBe(1);
  });

  it('cancels a running job from the API: the signal aborts, who and why are recorded', async () => {
    const res = await create({ script: { untilAborted: true } }).expect(202);
    await until(res.body.id, JobStatus.PROCESSING);
    const cancelled = await t.http
      .post(`/api/v1/jobs/${res.body.id}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .send({ reason: 'wrong file' })
      .expect(200);
    expect(cancelled.body).toMatchObject({
      status: 'CANCELLED',
      cancelledBy: 'tester',
      cancelReason: 'wrong file',
    });
    const history = await waitFor(
      async () => {
        const h = (await getJob(res.body.id).expect(200)).body.attemptHistory;
        return h[0]?.outcome === 'cancelled' ? h : undefined;
      },
      { what: 'the attempt to stop' },
    );
    expect(history).toHaveLength(1);
    expect((await t.row(res.body.id)).status).toBe(JobStatus.CANCELLED);
    // A second cancel, or cancelling a finished job, is a conflict.
    const again = await t.http
      .post(`/api/v1/jobs/${res.body.id}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .expect(409);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body).toMatchObject({
      status: 409,
      code: 'CONFLICT',
      detail: 'a cancelled test job cannot be cancelled',
    });
  });

  it('retries a failed job with a fresh budget, keeping the earlier attempts', async () => {
    const res = await create({ script: { failTimes: 99 }, maxAttempts: 1 }).expect(202);
    await until(res.body.id, JobStatus.FAILED);
    const retried = await t.http
      .post(`/api/v1/jobs/${res.body.id}/retry`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    // attempts keeps counting (it numbers the attempts); the budget grows by the type's 3.
    expect(retried.body).toMatchObject({
      status: 'QUEUED',
      attempts: 1,
      maxAttempts: 4,
      errorMessage: null,
    });
    const failedAgain = await until(res.body.id, JobStatus.FAILED);
    expect(failedAgain).toMatchObject({ attempts: 4, runs: 4 });
    const history = (await getJob(res.body.id).expect(200)).body.attemptHistory;
    expect(history.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3, 4]);
    // retrying a job that is not failed or cancelled is a conflict
    const ok = await create({}).expect(202);
    await until(ok.body.id, JobStatus.COMPLETED);
    await t.http
      .post(`/api/v1/jobs/${ok.body.id}/retry`)
      .set('Authorization', `Bearer ${token}`)
      .expect(409);
  });

  it('lets exactly one of two simultaneous retries through, and the job runs', async () => {
    const res = await create({ script: { nonRetryable: true } }).expect(202);
    await until(res.body.id, JobStatus.FAILED);
    const retry = () =>
      t.http.post(`/api/v1/jobs/${res.body.id}/retry`).set('Authorization', `Bearer ${token}`);
    const statuses = (await Promise.all([retry(), retry()])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const again = await until(res.body.id, JobStatus.FAILED);
    expect(again).toMatchObject({ attempts: 2, runs: 2 });
  });

  it('never lets a late "completed" overwrite "cancelled"', async () => {
    // The job ignores its signal and completes after the cancel: the row must stay CANCELLED.
    const res = await create({ script: { steps: 10, stepMs: 40 } }).expect(202);
    await until(res.body.id, JobStatus.PROCESSING);
    await t.http
      .post(`/api/v1/jobs/${res.body.id}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(200);
    // And directly at the store level: a completion fenced on the old attempt is refused.
    const row = await t.row(res.body.id);
    const late = await t.service['ops'].store.transition(
      t.service.definition.entity,
      row.id,
      'complete',
      {},
      { fence: 1 },
    );
    expect(late).toBeNull();
    await waitFor(
      async () =>
        (await getJob(res.body.id).expect(200)).body.attemptHistory[0]?.outcome !== 'running',
      {
        what: 'the attempt to end',
      },
    );
    expect((await t.row(res.body.id)).status).toBe(JobStatus.CANCELLED);
  });
});
