import { JobStatus } from '../src/common/tracking/job-status';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';

describe('per-type time limits', () => {
  const env = isolatedEnv();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, { softTimeLimitMs: 100, hardTimeLimitMs: 400, maxAttempts: 2 });
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  const runUntilFailed = async (script: object) => {
    const owner = { sub: 'tester', tenant: 'acme', roles: [] };
    const { job } = await t.service.createAndEnqueue({ script }, owner);
    return t.waitForStatus(job.id, JobStatus.FAILED);
  };

  it('aborts the signal at the hard limit and fails the attempt (then the budget)', async () => {
    const row = await runUntilFailed({ untilAborted: true });
    expect(row.attempts).toBe(2);
    expect(row.errorMessage).toBe('hard time limit of 400 ms exceeded');
    expect(row.errorDetails).toMatchObject({ class: 'HardTimeLimitError' });
    const duration = row.completedAt!.getTime() - row.startedAt!.getTime();
    expect(duration).toBeGreaterThanOrEqual(390);
  });

  it('stops waiting for a job that ignores its signal', async () => {
    const row = await runUntilFailed({ untilAborted: true, ignoreSignal: true });
    expect(row.errorMessage).toBe('hard time limit of 400 ms exceeded');
    expect(row.attempts).toBe(2);
  });
});
