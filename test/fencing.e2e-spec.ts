import { SYSTEM_PRINCIPAL } from '../src/common/auth/principal';
import { JobOperations } from '../src/common/tracking/job-operations';
import { JobStatus } from '../src/common/tracking/job-status';
import { TrackingStore } from '../src/common/tracking/tracking-store';
import { TestJob } from './support/test-job/test-job.entity';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';

/**
 * The store's guarantees, driven directly (no worker runs here, so the test plays the
 * workers): each attempt's writes are fenced by its number, which never repeats.
 */
describe('attempt fencing and takeover', () => {
  const env = isolatedEnv({ APP_ROLE: 'api' });
  let t: TestApp;
  let store: TrackingStore;

  beforeAll(async () => {
    t = await startTestApp(env);
    store = t.app.get(TrackingStore);
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  const start = (id: string, queueJobId: string, lockToken: string) =>
    store.startAttempt(TestJob, 'test', id, { queueJobId, lockToken });

  it('refuses a stale attempt after a retry, although the retry gave a fresh budget', async () => {
    const { job } = await t.service.createAndEnqueue({}, { sub: 'u', tenant: 'acme', roles: [] });
    const first = await start(job.id, job.id, 'token-a');
    expect(first).toMatchObject({ status: JobStatus.PROCESSING, attempts: 1 });
    expect(await store.transition(TestJob, job.id, 'fail', {}, { fence: 1 })).not.toBeNull();

    const ops = t.app.get(JobOperations);
    const retried = await ops.retry(await ops.find(job.id, SYSTEM_PRINCIPAL));
    expect(retried).toMatchObject({ status: JobStatus.QUEUED, attempts: 1, maxAttempts: 4 });
    const second = await start(job.id, job.id, 'token-b');
    expect(second?.attempts).toBe(2);

    // The first attempt's worker, still running somewhere, can no longer write anything.
    expect(
      await store.update(TestJob, job.id, { progress: 99 }, [JobStatus.PROCESSING], { fence: 1 }),
    ).toBeNull();
    expect(await store.transition(TestJob, job.id, 'complete', {}, { fence: 1 })).toBeNull();
    expect(await store.transition(TestJob, job.id, 'complete', {}, { fence: 2 })).toMatchObject({
      status: JobStatus.COMPLETED,
    });
  });

  it('takes a running row over only for its own queue job under a new lock', async () => {
    const { job } = await t.service.createAndEnqueue({}, { sub: 'u', tenant: 'acme', roles: [] });
    expect((await start(job.id, job.id, 'lock-1'))?.attempts).toBe(1);
    // Another queue job for the same row (a duplicate delivery): refused.
    expect(await start(job.id, `${job.id}-dup`, 'lock-2')).toBeNull();
    // The same delivery again (same lock): refused.
    expect(await start(job.id, job.id, 'lock-1')).toBeNull();
    // The same queue job under a new lock (its worker died, BullMQ redelivered): taken over.
    expect((await start(job.id, job.id, 'lock-3'))?.attempts).toBe(2);
    const attempts = await store.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'lost'],
      [2, 'running'],
    ]);
  });

  it('never starts a row past its budget', async () => {
    const { job } = await t.service.createAndEnqueue(
      {},
      { sub: 'u', tenant: 'acme', roles: [] },
      { maxAttempts: 1 },
    );
    expect((await start(job.id, job.id, 'l1'))?.attempts).toBe(1);
    expect(await start(job.id, job.id, 'l2')).toBeNull();
  });
});
