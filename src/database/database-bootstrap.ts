import { MikroORM } from '@mikro-orm/postgresql';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../common/util/database-errors';

/** Advisory lock key shared by every replica: "jobtrack" as a 64-bit number. */
const MIGRATION_LOCK_KEY = '7020365463840186731';

/** Start-up gave up waiting for PostgreSQL. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
    // An operating condition, not a bug: the message (where, and the last reason) is the
    // whole story. Nest prints a failed provider's error before rethrowing it, stack and all.
    this.stack = `${this.name}: ${message}`;
  }
}

export interface WaitOptions {
  /** Keep trying this long (DATABASE_CONNECT_TIMEOUT_MS); 0: one try. */
  timeoutMs?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** `host:port` of a database URL, for messages (never the credentials). */
export function databaseAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}`;
}

/**
 * Connects a `pg` client to `url`, retrying while the server is unreachable for up to
 * `timeoutMs` (logging "database unreachable at host:port"), then throws
 * DatabaseUnreachableError. The client has an 'error' listener: a server that goes away
 * later fails the query in flight instead of the process.
 */
export async function connectClient(url: string, { timeoutMs = 0, logger }: WaitOptions = {}) {
  const address = databaseAddress(url);
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  let warnedAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    // Each try is bounded too (a host that drops packets never refuses); one try is not.
    const left = deadline - Date.now();
    const client = new Client({
      connectionString: url,
      connectionTimeoutMillis: timeoutMs ? Math.max(1_000, Math.min(5_000, left)) : 0,
    });
    client.on('error', (err) =>
      logger?.warn({ err: { message: err.message } }, 'database connection lost'),
    );
    try {
      await client.connect();
      if (Number.isFinite(warnedAt)) logger?.info({ database: address }, 'database reachable');
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (!isDatabaseUnreachable(err)) throw err;
      const reason = (err as Error).message || (err as { code?: string }).code || String(err);
      if (Date.now() + delay >= deadline) {
        const waited = timeoutMs ? ` (gave up after ${timeoutMs / 1000} s)` : '';
        throw new DatabaseUnreachableError(
          `database unreachable at ${address}${waited}: ${reason}`,
        );
      }
      if (Date.now() - warnedAt >= 5_000) {
        logger?.warn(
          { database: address, reason, retryForMs: Math.max(0, deadline - Date.now()) },
          `database unreachable at ${address}; retrying`,
        );
        warnedAt = Date.now();
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

/**
 * Creates the database of `url` when it does not exist (replicas racing are fine), waiting
 * for the server first (see connectClient).
 */
export async function ensureDatabase(url: string, wait: WaitOptions = {}): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = await connectClient(admin.toString(), wait);
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
  const lock = await connectClient(url);
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
