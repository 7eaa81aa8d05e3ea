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
import { JobTypeRegistry } from '../../src/common/tracking/job-type.registry';
import { ENTITIES } from '../../src/database/entities';
import {
  summarySql,
  TRACKED_JOBS_VIEW,
  trackedJobsBranchSql,
} from '../../src/database/tracked-jobs-view';
import { OpenApiValidator, validating } from './openapi-validator';
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
  await ensureTestTables(orm, app.get(JobTypeRegistry));
  await app.listen(0, '127.0.0.1');
  app.get(LifecycleService).markStarted();
  const server = app.getHttpServer();
  const { port } = server.address() as { port: number };
  const tokens = app.get(TokenService);
  const row = (id: string) => orm.em.fork().findOneOrFail(TestJob, { id });
  // Every answer through `http` is checked against the OpenAPI document (openapi-validator.ts).
  const http = validating(request(server), OpenApiValidator.for(app));
  return {
    app,
    orm,
    service: app.get(TestJobService),
    http,
    url: `http://127.0.0.1:${port}`,
    token: ({ sub = 'tester', tenant = 'acme', roles = [] }) => tokens.mint({ sub, tenant, roles }),
    row,
    createJob: async (token, body = {}) => {
      const res = await http
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

/**
 * The test job type has no migration: create its table from its entity, then add it to the
 * `tracked_jobs` view as a type's migration would. Only types whose entity the app does not
 * ship are added here: a shipped type missing from the view is the migrations' fault, and
 * test/schema.e2e-spec.ts fails on it.
 */
export async function ensureTestTables(orm: MikroORM, registry: JobTypeRegistry): Promise<void> {
  const connection = orm.em.getConnection();
  const sql = await orm.schema.getUpdateSchemaSQL({ safe: true, wrap: false });
  if (sql.trim()) await connection.execute(sql);
  const inView = await connection.execute<{ table_name: string }[]>(
    'SELECT table_name FROM information_schema.view_table_usage WHERE view_name = ?',
    [TRACKED_JOBS_VIEW],
  );
  const branches = registry
    .all()
    .filter((t) => !(ENTITIES as unknown[]).includes(t.definition.entity))
    .map((t) => ({ t, meta: orm.getMetadata().get(t.definition.entity) }))
    .filter(({ meta }) => !inView.some((v) => v.table_name === meta.tableName))
    .map(({ t, meta }) =>
      trackedJobsBranchSql(
        t.definition.type,
        meta.tableName,
        summarySql(meta, t.definition.summaryFields as string[] | undefined),
      ),
    );
  if (!branches.length) return;
  const [{ definition }] = await connection.execute<{ definition: string }[]>(
    'SELECT pg_get_viewdef(?::regclass) AS definition',
    [TRACKED_JOBS_VIEW],
  );
  await connection.execute(
    `CREATE OR REPLACE VIEW ${TRACKED_JOBS_VIEW} AS ${definition.trim().replace(/;$/, '')} UNION ALL ${branches.join(' UNION ALL ')}`,
  );
}
