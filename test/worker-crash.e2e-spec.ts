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
    const res = await api.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({ script: { steps: 40, stepMs: 50 } })
      .expect(202);
    const id = res.body.id as string;
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

  it('orphan rescue re-enqueues a row whose queue job vanished from Redis', async () => {
    const token = await api.token({ tenant: 'acme' });
    // No worker runs for this one until the row is orphaned.
    await Promise.all(children.map((c) => c.stop()));
    const res = await api.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(202);
    const id = res.body.id as string;
    const registered = api.app.get(MaintenanceService)['ops'].registry.get('test')!;
    await registered.queue.remove(id); // as if Redis lost it
    expect(await registered.queue.getJobState(id)).toBe('unknown');

    const rescued = await api.app.get(MaintenanceService).rescueOrphans();
    expect(rescued).toEqual({ requeued: 1, failed: 0 });
    expect(await registered.queue.getJobState(id)).not.toBe('unknown');

    children.push(await ChildApp.start({ ...env, APP_ROLE: 'worker' }));
    const done = await api.waitForStatus(id, JobStatus.COMPLETED, 30_000);
    expect(done.runs).toBe(1);
  });
});
