import { JobStatus } from '../src/common/tracking/job-status';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import { PrivateRedis } from './utils/private-redis';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';

describe('outbox: creating jobs while Redis is down', () => {
  let redis: PrivateRedis;
  let env: Record<string, string>;
  let t: TestApp;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    env = isolatedEnv({
      REDIS_URL: redis.url,
      MAINTENANCE_ENABLED: 'true',
      OUTBOX_INTERVAL_MS: '200',
      ENQUEUE_TIMEOUT_MS: '300',
    });
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await cleanupEnv({ ...env, REDIS_URL: 'redis://127.0.0.1:6379' });
  });

  it('accepts the job with Redis stopped, keeps it PENDING, and the dispatcher runs it once Redis is back', async () => {
    const token = await t.token({ tenant: 'acme' });
    await redis.stop();

    const started = Date.now();
    const res = await t.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(202);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.body.status).toBe(JobStatus.PENDING);
    // The dispatcher cannot hand it over while Redis is down: it stays PENDING.
    expect(await t.app.get(MaintenanceService).dispatchPending()).toBe(0);
    expect((await t.row(res.body.id)).status).toBe(JobStatus.PENDING);

    await redis.start();
    const done = await t.waitForStatus(res.body.id, JobStatus.COMPLETED, 30_000);
    expect(done.runs).toBe(1);
    expect(done.attempts).toBe(1);
  });
});
