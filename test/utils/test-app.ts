import { MikroORM } from '@mikro-orm/postgresql';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import { Principal } from '../../src/common/auth/principal';
import { TokenService } from '../../src/common/auth/token.service';
import { LifecycleService } from '../../src/common/lifecycle/lifecycle.service';
import { TestJob } from '../support/test-job/test-job.entity';
import { TestJobModule, TestJobOptions } from '../support/test-job/test-job.module';
import { TestJobService } from '../support/test-job/test-job.service';
import { JobStatus } from '../../src/common/tracking/job-status';
import { Env } from './test-env';
import { waitFor } from './wait-for';

export interface TestApp {
  app: INestApplication;
  orm: MikroORM;
  service: TestJobService;
  http: ReturnType<typeof request>;
  url: string;
  token(principal: Partial<Principal> & { tenant?: string | null }): Promise<string>;
  /** POST /api/v1/test-jobs as `token`'s caller; expects 202 and returns the job's id. */
  createJob(token: string, body?: object): Promise<string>;
  /** The test job row as stored now. */
  row(id: string): Promise<TestJob>;
  /** Polls the row until it has `status` (or fails with the last status seen). */
  waitForStatus(id: string, status: JobStatus, timeoutMs?: number): Promise<TestJob>;
  close(): Promise<void>;
}

/** Boots the real app in this process, with the test job type, listening on a free port. */
export async function startTestApp(env: Env, jobOptions: TestJobOptions = {}): Promise<TestApp> {
  const app = await createApp({
    env,
    imports: [TestJobModule.forRoot(jobOptions)],
    entities: [TestJob],
  });
  await app.init();
  const orm = app.get(MikroORM) as unknown as MikroORM;
  await ensureTestTables(orm);
  await app.listen(0, '127.0.0.1');
  app.get(LifecycleService).markStarted();
  const server = app.getHttpServer();
  const { port } = server.address() as { port: number };
  const tokens = app.get(TokenService);
  const row = (id: string) => orm.em.fork().findOneOrFail(TestJob, { id });
  return {
    app,
    orm,
    service: app.get(TestJobService),
    http: request(server),
    url: `http://127.0.0.1:${port}`,
    token: ({ sub = 'tester', tenant = 'acme', roles = [] }) => tokens.mint({ sub, tenant, roles }),
    row,
    createJob: async (token, body = {}) => {
      const res = await request(server)
        .post('/api/v1/test-jobs')
        .set('Authorization', `Bearer ${token}`)
        .send(body);
      if (res.status !== 202) throw new Error(`create answered ${res.status}: ${res.text}`);
      return res.body.id as string;
    },
    waitForStatus: (id, status, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const job = await row(id);
          return job.status === status ? job : undefined;
        },
        { timeoutMs, what: `job ${id} to be ${status}` },
      ),
    close: () => app.close(),
  };
}

/** The test job table is not part of the shipped migrations: create it from its entity. */
export async function ensureTestTables(orm: MikroORM): Promise<void> {
  const sql = await orm.schema.getUpdateSchemaSQL({ safe: true, wrap: false });
  if (sql.trim()) await orm.em.getConnection().execute(sql);
}
