import { JobStatus } from '../src/common/tracking/job-status';
import { runMaintenance } from '../src/cli/maintenance';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import { TestJob } from './support/test-job/test-job.entity';
import { TestJobModule } from './support/test-job/test-job.module';
import { TestJobProcessor } from './support/test-job/test-job.processor';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';

describe('retention', () => {
  // No workers: rows keep exactly the state the test gives them.
  const env = isolatedEnv({ APP_ROLE: 'api', RETENTION_DAYS: '90' });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  it('deletes old terminal rows with their attempts and files, never a non-terminal row', async () => {
    const owner = { sub: 'tester', tenant: 'acme', roles: [] };
    const make = async (status: JobStatus, ageDays: number) => {
      const { job } = await t.service.createAndEnqueue({}, owner);
      const at = new Date(Date.now() - ageDays * 86_400_000);
      await t.orm.em
        .fork()
        .getConnection()
        .execute(
          'UPDATE test_jobs SET status = ?, created_at = ?, updated_at = ?, completed_at = ? WHERE id = ?',
          [
            status,
            at,
            at,
            [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED].includes(status)
              ? at
              : null,
            job.id,
          ],
        );
      await t.orm.em
        .fork()
        .getConnection()
        .execute(
          `INSERT INTO job_attempts (id, job_id, job_type, attempt, worker_host, worker_pid, started_at, outcome)
         VALUES (gen_random_uuid(), ?, 'test', 1, 'h', 1, ?, 'completed')`,
          [job.id, at],
        );
      return job.id;
    };
    const oldDone = await make(JobStatus.COMPLETED, 120);
    const oldFailed = await make(JobStatus.FAILED, 91);
    const oldCancelled = await make(JobStatus.CANCELLED, 400);
    const recentDone = await make(JobStatus.COMPLETED, 10);
    const stuck = await Promise.all(
      [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.RETRYING].map((s) =>
        make(s, 365),
      ),
    );

    const report = await t.app.get(MaintenanceService).applyRetention();
    expect(report.deleted).toBe(3);

    const left = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ id: string }[]>('SELECT id FROM test_jobs');
    expect(left.map((r) => r.id).sort()).toEqual([recentDone, ...stuck].sort());
    const attempts = await t.orm.em
      .fork()
      .getConnection()
      .execute<{ job_id: string }[]>('SELECT job_id FROM job_attempts');
    expect(attempts.map((r) => r.job_id).sort()).toEqual([recentDone, ...stuck].sort());
    expect(t.app.get(TestJobProcessor).deletedByRetention.sort()).toEqual(
      [oldDone, oldFailed, oldCancelled].sort(),
    );

    // A second run finds nothing more.
    expect((await t.app.get(MaintenanceService).applyRetention()).deleted).toBe(0);
  });

  it('runs as a one-off maintenance command beside the running app', async () => {
    const owner = { sub: 'tester', tenant: 'acme', roles: [] };
    const { job } = await t.service.createAndEnqueue({}, owner);
    const old = new Date(Date.now() - 200 * 86_400_000);
    await t.orm.em
      .fork()
      .getConnection()
      .execute("UPDATE test_jobs SET status = 'COMPLETED', completed_at = ? WHERE id = ?", [
        old,
        job.id,
      ]);
    const result = await runMaintenance('retention', {
      env,
      imports: [TestJobModule.forRoot()],
      entities: [TestJob],
    });
    expect(result).toEqual({ deleted: 1 });
    expect(await t.orm.em.fork().findOne(TestJob, { id: job.id })).toBeNull();
  });
});
