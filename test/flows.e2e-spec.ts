import { JobStatus } from '../src/common/tracking/job-status';
import { TestJob } from './support/test-job/test-job.entity';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('parent and child jobs', () => {
  const env = isolatedEnv();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, { concurrency: 4 });
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  const childrenOf = (id: string) =>
    t.orm.em.fork().find(TestJob, { parentId: id }, { orderBy: { domainKey: 'asc' } });

  it('completes a system parent only after its children, and reports how they ended', async () => {
    const { job: parent } = await t.service.createAndEnqueue(
      { script: { children: 3, childScript: { steps: 3, stepMs: 30 } } },
      null,
    );
    const done = await t.waitForStatus(parent.id, JobStatus.COMPLETED);
    const children = await childrenOf(parent.id);
    expect(children).toHaveLength(3);
    expect(
      children.every(
        (c) => c.status === JobStatus.COMPLETED && c.parentType === 'test' && c.tenantId === null,
      ),
    ).toBe(true);
    const lastChild = Math.max(...children.map((c) => c.completedAt!.getTime()));
    expect(done.completedAt!.getTime()).toBeGreaterThanOrEqual(lastChild);
    expect(done.result).toEqual({ children: { total: 3, byStatus: { COMPLETED: 3 } } });
  });

  it('reports failed children in the parent result', async () => {
    const { job: parent } = await t.service.createAndEnqueue(
      { script: { children: 2, childScript: { nonRetryable: true } } },
      { sub: 'alice', tenant: 'acme', roles: [] },
    );
    const done = await t.waitForStatus(parent.id, JobStatus.COMPLETED);
    expect(done.result).toEqual({ children: { total: 2, byStatus: { FAILED: 2 } } });
    expect((await childrenOf(parent.id)).every((c) => c.tenantId === 'acme')).toBe(true);
  });

  it('cancels unfinished children with their parent', async () => {
    const { job: parent } = await t.service.createAndEnqueue(
      { script: { children: 2, childScript: { untilAborted: true } } },
      { sub: 'alice', tenant: 'acme', roles: [] },
    );
    await waitFor(
      async () =>
        (await childrenOf(parent.id)).filter((c) => c.status === JobStatus.PROCESSING).length === 2,
      {
        what: 'both children to run',
      },
    );
    await t.http
      .post(`/api/v1/jobs/${parent.id}/cancel`)
      .set('Authorization', `Bearer ${await t.token({ tenant: 'acme', sub: 'alice' })}`)
      .send({ reason: 'stop the run' })
      .expect(200);
    const children = await waitFor(
      async () => {
        const rows = await childrenOf(parent.id);
        return rows.every((c) => c.status === JobStatus.CANCELLED) ? rows : undefined;
      },
      { what: 'the children to be cancelled' },
    );
    expect(children.map((c) => c.cancelReason)).toEqual([
      'parent job cancelled',
      'parent job cancelled',
    ]);
    expect((await t.row(parent.id)).status).toBe(JobStatus.CANCELLED);
  });
});
