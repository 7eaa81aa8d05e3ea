import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export const PG_ADMIN_URL =
  process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Env = Record<string, string>;

/**
 * A private world for one test file: its own database, Redis key prefix and upload
 * directory, with intervals short enough for tests. Maintenance crons are off unless a
 * test turns them on; tests call the maintenance service directly where they can.
 */
export function isolatedEnv(overrides: Env = {}): Env {
  const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const db = new URL(PG_ADMIN_URL);
  db.pathname = `/jt_test_${id}`;
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: db.toString(),
    REDIS_URL,
    QUEUE_PREFIX: `jt-test-${id}`,
    UPLOAD_DIR: mkdtempSync(join(tmpdir(), 'jobtrack-test-')),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MAINTENANCE_ENABLED: 'false',
    BACKOFF_BASE_MS: '100',
    BACKOFF_MAX_MS: '2000',
    ENQUEUE_TIMEOUT_MS: '500',
    PROGRESS_WRITE_INTERVAL_MS: '50',
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    MAINTENANCE_GRACE_MS: '0',
    SHUTDOWN_GRACE_MS: '3000',
    ...overrides,
  };
}

/** Drops the file's database, its Redis keys and its upload directory. */
export async function cleanupEnv(env: Env): Promise<void> {
  const name = new URL(env.DATABASE_URL).pathname.slice(1);
  const pg = new Client({ connectionString: PG_ADMIN_URL });
  await pg.connect();
  try {
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await pg.end();
  }
  const redis = new Redis(env.REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(
        cursor,
        'MATCH',
        `${env.QUEUE_PREFIX}:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  rmSync(env.UPLOAD_DIR, { recursive: true, force: true });
}
