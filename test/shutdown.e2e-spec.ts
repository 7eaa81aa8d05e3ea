import { JobStatus } from '../src/common/tracking/job-status';
import { ChildApp } from './utils/child-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('SIGTERM drains the process', () => {
  const env = isolatedEnv({ APP_ROLE: 'api' });
  let api: TestApp;
  let token: string;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    api = await startTestApp(env);
    token = await api.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await api?.close();
    await cleanupEnv(env);
  });

  const create = async (script: object) =>
    (
      await api.http
        .post('/api/v1/test-jobs')
        .set('Authorization', `Bearer ${token}`)
        .send({ script })
        .expect(202)
    ).body.id as string;
  const until = (id: string, status: JobStatus) => api.waitForStatus(id, status);

  it('turns readiness 503 first, lets the running job finish, then exits 0', async () => {
    const child = await ChildApp.start({
      ...env,
      APP_ROLE: 'all',
      SHUTDOWN_DELAY_MS: '700',
      SHUTDOWN_GRACE_MS: '10000',
    });
    children.push(child);
    expect((await fetch(`${child.url}/health/ready`)).status).toBe(200);
    const id = await create({ steps: 20, stepMs: 50 });
    await until(id, JobStatus.PROCESSING);

    child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${child.url}/health/ready`)).status === 503, {
      what: 'readiness to turn 503',
    });
    expect((await fetch(`${child.url}/health/live`)).status).toBe(200); // not restarted meanwhile

    expect(await child.exited).toEqual({ code: 0, signal: null });
    const row = await api.row(id);
    expect(row.status).toBe(JobStatus.COMPLETED);
    expect(row.attempts).toBe(1);
    // Every line about the job, in the process that ran it, names the job, its type and tenant.
    const jobLines = child.logs().filter((l) => l.jobId === id);
    expect(jobLines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['attempt started', 'completed']),
    );
    expect(
      jobLines.every((l) => l.jobType === 'test' && l.tenantId === 'acme' && l.attempt === 1),
    ).toBe(true);
    expect(child.logs().map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down: readiness now answers 503', 'shutdown complete']),
    );
  });

  it('hands a job that outlives the grace period back to the queue without spending an attempt', async () => {
    const child = await ChildApp.start({ ...env, APP_ROLE: 'worker', SHUTDOWN_GRACE_MS: '300' });
    children.push(child);
    const id = await create({ steps: 100, stepMs: 50 });
    await until(id, JobStatus.PROCESSING);

    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const handedBack = await api.row(id);
    expect(handedBack.status).toBe(JobStatus.QUEUED);
    // The attempt is kept in the count and the history, but not against the budget.
    expect(handedBack).toMatchObject({ attempts: 1, maxAttempts: 4 });

    children.push(await ChildApp.start({ ...env, APP_ROLE: 'worker' }));
    const done = await until(id, JobStatus.COMPLETED);
    expect(done.attempts).toBe(2);
    const history = (
      await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${token}`).expect(200)
    ).body.attemptHistory;
    expect(history.map((a: { outcome: string }) => a.outcome)).toEqual([
      'handed_back',
      'completed',
    ]);
  });
});
