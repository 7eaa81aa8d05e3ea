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
import { TestJob } from './support/test-job/test-job.entity';
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
