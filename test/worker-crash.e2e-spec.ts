import { JobStatus } from '../src/common/tracking/job-status';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import { ChildApp } from './utils/child-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('a worker process killed mid-job', () => {
  // The in-test app only serves HTTP; the work runs in child processes.
  const env = isolatedEnv({ APP_ROLE: 'api' });
  let api: TestApp;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    api = await startTestApp(env);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await api?.close();
    await cleanupEnv(env);
  });

  it('is rescued: the job ends in exactly one terminal state, the lost attempt is recorded', async () => {
    const doomed = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
    children.push(doomed);
    const token = await api.token({ tenant: 'acme' });
    const id = await api.createJob(token, { script: { steps: 40, stepMs: 50 } });
    await waitFor(async () => (await api.row(id)).progress >= 10, {
      what: 'the job to be mid-way',
    });

    doomed.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    expect((await api.row(id)).status).toBe(JobStatus.PROCESSING); // the dead worker's row

    // A fresh worker takes the stalled job over once the dead one's lock expires.
    children.push(await ChildApp.start({ ...env, APP_ROLE: 'worker' }));
    const done = await api.waitForStatus(id, JobStatus.COMPLETED, 30_000);
    expect(done.attempts).toBe(2);
    expect(done.runs).toBe(2);

    const view = (
      await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${token}`).expect(200)
    ).body;
    expect(view.attemptHistory.map((a: { outcome: string }) => a.outcome)).toEqual([
      'lost',
      'completed',
    ]);
    expect(view.attemptHistory[0].workerPid).toBe(doomed.proc.pid);
    // Nothing can move it again: it stays COMPLETED.
    await api.app.get(MaintenanceService).rescueOrphans();
    expect((await api.row(id)).status).toBe(JobStatus.COMPLETED);
  });

  it("closes the dead worker's attempt when the job is cancelled before anyone takes it over", async () => {
    const doomed = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
    children.push(doomed);
    const token = await api.token({ tenant: 'acme' });
    const id = await api.createJob(token, { script: { untilAborted: true } });
    await api.waitForStatus(id, JobStatus.PROCESSING);
    doomed.kill('SIGKILL');
    await doomed.exited;
    await api.http
      .post(`/api/v1/jobs/${id}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .send({ reason: 'worker is gone' })
      .expect(200);

    // The stalled job is redelivered to a live worker, which finds the row cancelled.
    children.push(await ChildApp.start({ ...env, APP_ROLE: 'worker' }));
    const history = await waitFor(
      async () => {
        const view = (
          await api.http
            .get(`/api/v1/jobs/${id}`)
            .set('Authorization', `Bearer ${token}`)
            .expect(200)
        ).body;
        return view.attemptHistory[0]?.outcome !== 'running' ? view.attemptHistory : undefined;
      },
      { timeoutMs: 30_000, what: 'the dead attempt to be closed' },
    );
    expect(history.map((a: { outcome: string }) => a.outcome)).toEqual(['cancelled']);
    expect(await api.row(id)).toMatchObject({
      status: JobStatus.CANCELLED,
      runs: 1,
      cancelReason: 'worker is gone',
    });
  });

  it('orphan rescue re-enqueues a row whose queue job vanished, even behind a page of live rows', async () => {
    const token = await api.token({ tenant: 'acme' });
    // No worker runs until the rescue is done: every row stays QUEUED.
    await Promise.all(children.map((c) => c.stop()));
    const owner = { sub: 'tester', tenant: 'acme', roles: [] };
    const live: string[] = [];
    for (let i = 0; i < 210; i++) live.push((await api.service.createAndEnqueue({}, owner)).job.id);
    // The orphan comes after more live candidates than one page holds.
    const id = await api.createJob(token, {});
    const registered = api.app.get(MaintenanceService)['ops'].registry.get('test')!;
    await registered.queue.remove(id); // as if Redis lost it
    expect(await registered.queue.getJobState(id)).toBe('unknown');

    const rescued = await api.app.get(MaintenanceService).rescueOrphans();
    expect(rescued).toEqual({ requeued: 1, failed: 0 });
    expect(await registered.queue.getJobState(id)).not.toBe('unknown');
    expect((await api.row(live[0])).progressMessage).toBeNull(); // live rows untouched

    children.push(await ChildApp.start({ ...env, APP_ROLE: 'worker' }));
    const done = await api.waitForStatus(id, JobStatus.COMPLETED, 30_000);
    expect(done.runs).toBe(1);
    expect(done.progressMessage).toBeNull();
    const history = (
      await api.http.get(`/api/v1/jobs/${id}`).set('Authorization', `Bearer ${token}`).expect(200)
    ).body.attemptHistory;
    expect(history.map((a: { outcome: string }) => a.outcome)).toEqual(['completed']);
  });
});
