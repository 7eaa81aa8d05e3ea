import { JobStatus } from '../src/common/tracking/job-status';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { ChildApp } from './utils/child-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('two workers racing for the same row', () => {
  const env = isolatedEnv({ APP_ROLE: 'api' });
  let api: TestApp;
  const workers: ChildApp[] = [];

  beforeAll(async () => {
    api = await startTestApp(env);
    workers.push(
      ...(await Promise.all([
        ChildApp.start({ ...env, APP_ROLE: 'worker' }),
        ChildApp.start({ ...env, APP_ROLE: 'worker' }),
      ])),
    );
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.close();
    await cleanupEnv(env);
  });

  it('starts each row once even when the queue delivers it twice at the same moment', async () => {
    const queue = api.app.get(JobTypeRegistry).get('test')!.queue;
    const owner = { sub: 'tester', tenant: 'acme', roles: [] };
    await queue.pause();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { job } = await api.service.createAndEnqueue(
        { script: { steps: 2, stepMs: 20 } },
        owner,
      );
      ids.push(job.id);
    }
    // Every row delivered twice, side by side (same row id, two queue jobs), so the two
    // workers take the pair at the same moment once the queue resumes.
    await queue.obliterate({ force: true });
    await queue.addBulk(
      ids.flatMap((id) => [
        { name: 'test', data: { id }, opts: { jobId: id } },
        { name: 'test', data: { id }, opts: { jobId: `${id}-dup` } },
      ]),
    );
    await queue.resume();

    const rows = await waitFor(
      async () => {
        const all = await Promise.all(ids.map((id) => api.row(id)));
        return all.every((r) => r.status === JobStatus.COMPLETED) ? all : undefined;
      },
      { timeoutMs: 30_000, what: 'all rows to complete' },
    );
    expect(rows.map((r) => r.runs)).toEqual(ids.map(() => 1));
    expect(rows.map((r) => r.attempts)).toEqual(ids.map(() => 1));
    const attempts = await api.orm.em
      .fork()
      .getConnection()
      .execute<{ job_id: string; n: number }[]>(
        'SELECT job_id, count(*)::int AS n FROM job_attempts GROUP BY job_id',
      );
    expect(attempts).toHaveLength(ids.length);
    expect(attempts.every((a) => a.n === 1)).toBe(true);
    // Both workers took part.
    const pids = await api.orm.em
      .fork()
      .getConnection()
      .execute<{ worker_pid: number }[]>('SELECT DISTINCT worker_pid FROM job_attempts');
    expect(pids.length).toBe(2);
  });
});
