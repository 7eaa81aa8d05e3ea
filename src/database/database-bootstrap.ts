import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';

/** Advisory lock key shared by every replica: "jobtrack" as a 64-bit number. */
const MIGRATION_LOCK_KEY = '7020365463840186731';

/** Creates the database of `url` when it does not exist (replicas racing are fine). */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`)
        .catch((e: { code?: string }) => {
          if (e.code !== '42P04') throw e; // created by another replica meanwhile
        });
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so replicas that
 * start together run them once; the others wait, then find nothing to do.
 */
export async function migrateWithLock(orm: MikroORM, url: string): Promise<string[]> {
  const lock = new Client({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** Names of migrations not yet applied (readiness fails while any remain). */
export async function pendingMigrations(orm: MikroORM): Promise<string[]> {
  return (await orm.migrator.getPending()).map((m) => m.name);
}
