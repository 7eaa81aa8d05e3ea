import { MikroORM } from '@mikro-orm/postgresql';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from '../migrations';
import { buildOrmConfig } from '../src/config/mikro-orm.config';
import {
  ensureDatabase,
  migrateWithLock,
  pendingMigrations,
} from '../src/database/database-bootstrap';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { TrackedJob } from '../src/common/tracking/tracked-job.entity';
import { TRACKED_JOB_COLUMNS, TRACKED_JOBS_VIEW } from '../src/database/tracked-jobs-view';
import { TestJob } from './support/test-job/test-job.entity';
import { startTestApp, TestApp } from './utils/test-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';

describe('database schema and migrations', () => {
  const env = isolatedEnv();
  afterAll(() => cleanupEnv(env));

  it('creates the database, and replicas migrating at once apply each migration once', async () => {
    await ensureDatabase(env.DATABASE_URL);
    await ensureDatabase(env.DATABASE_URL); // exists already: no error
    const orms = await Promise.all(
      [0, 1, 2].map(() => MikroORM.init(buildOrmConfig(env.DATABASE_URL))),
    );
    try {
      const applied = await Promise.all(orms.map((orm) => migrateWithLock(orm, env.DATABASE_URL)));
      expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      expect(await pendingMigrations(orms[0])).toEqual([]);
      // The committed migrations produce exactly what the entities describe.
      expect((await orms[0].schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
    } finally {
      await Promise.all(orms.map((orm) => orm.close()));
    }
  });

  it('lists every migration file in migrations/index.ts', () => {
    const files = readdirSync(join(__dirname, '..', 'migrations'))
      .filter((f) => /^Migration\d+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(MIGRATIONS.map((m) => m.name).sort()).toEqual(files.sort());
  });

  it('gives every tracking table the four base indexes', async () => {
    const orm = await MikroORM.init(buildOrmConfig(env.DATABASE_URL, [TestJob]));
    try {
      await orm.em
        .getConnection()
        .execute(await orm.schema.getUpdateSchemaSQL({ safe: true, wrap: false }));
      const rows = await orm.em
        .getConnection()
        .execute<{ indexdef: string }[]>(
          "SELECT indexdef FROM pg_indexes WHERE tablename = 'test_jobs'",
        );
      const columns = rows.map((r) => /\((.*)\)/.exec(r.indexdef)![1]);
      expect(columns).toEqual(
        expect.arrayContaining([
          'status',
          'created_at, completed_at',
          'queue_job_id',
          'tenant_id, status',
        ]),
      );
    } finally {
      await orm.close();
    }
  });
});

/** A plan node of EXPLAIN (FORMAT JSON): the scans of a UNION ALL are its leaves. */
interface PlanNode {
  'Relation Name'?: string;
  Output?: string[];
  Plans?: PlanNode[];
}

function scans(node: PlanNode): PlanNode[] {
  return node['Relation Name'] ? [node] : (node.Plans ?? []).flatMap(scans);
}

/**
 * The tracked_jobs view is kept by migrations, one branch per job type; the test job type
 * (no migration) is added by the test harness. A type registered without its branch would
 * be missing from GET /jobs/{id}, search, stats and its parent's children: this fails then.
 */
describe('tracked_jobs view', () => {
  const env = isolatedEnv();
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(env);
  });
  afterAll(async () => {
    await app?.close();
    await cleanupEnv(env);
  });

  it("reads every registered type's table once, under the type's name, with its summary", async () => {
    const registry = app.app.get(JobTypeRegistry);
    const metadata = app.orm.getMetadata();
    const [{ 'QUERY PLAN': plan }] = await app.orm.em
      .getConnection()
      .execute<{ 'QUERY PLAN': { Plan: PlanNode }[] }[]>(
        `EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) SELECT type, summary FROM ${TRACKED_JOBS_VIEW}`,
      );
    const branches = scans(plan[0].Plan).map((scan) => ({
      table: scan['Relation Name'],
      type: scan.Output![0],
      summary: scan.Output![1],
    }));
    const expected = registry.all().map((t) => ({
      table: metadata.get(t.definition.entity).tableName,
      type: `'${t.definition.type}'::text`,
    }));
    expect(expected.map((e) => e.type)).toContain("'upload'::text"); // the shipped type, by its migration
    expect(branches.map(({ table, type }) => ({ table, type }))).toEqual(
      expect.arrayContaining(expected),
    );
    expect(branches).toHaveLength(expected.length);
    // The summary joins the type's summaryFields' columns, in order (NULL without any).
    for (const type of registry.all()) {
      const meta = metadata.get(type.definition.entity);
      const { summary } = branches.find((b) => b.table === meta.tableName)!;
      const columns = (type.definition.summaryFields ?? []).map(
        (f) => `${meta.tableName}.${meta.properties[f].fieldNames[0]}`,
      );
      if (!columns.length) expect(summary).toBe('NULL::text');
      else {
        expect(summary).toMatch(/^concat_ws\(' · '::text, /);
        const at = columns.map((c) => summary!.indexOf(c));
        expect(at.every((i) => i > 0)).toBe(true);
        expect([...at].sort((a, b) => a - b)).toEqual(at);
      }
    }
  });

  it("lists the base entity's columns, the type and the summary", async () => {
    const columns = await app.orm.em
      .getConnection()
      .execute<{ column_name: string }[]>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position`,
        [TRACKED_JOBS_VIEW],
      );
    expect(columns.map((c) => c.column_name)).toEqual(['type', ...TRACKED_JOB_COLUMNS, 'summary']);
    // Every base property has an initializer: an instance lists them all.
    class Probe extends TrackedJob {}
    const meta = app.orm.getMetadata().get(TestJob);
    const base = Object.keys(new Probe()).map(
      (p) => meta.properties[p as keyof TestJob].fieldNames[0],
    );
    expect([...TRACKED_JOB_COLUMNS].sort()).toEqual(base.sort());
  });
});
