import { EntityClass, UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { AttemptOutcome, JobAttempt } from './job-attempt.entity';
import { JobStatus, TransitionName, TRANSITIONS } from './job-status';
import { TrackedJob } from './tracked-job.entity';

/** A value written as SQL, e.g. `now()`. */
export class SqlRaw {
  constructor(readonly sql: string) {
    // Statements are built with `?` placeholders (renumbered to `$n` for a pg client).
    if (sql.includes('?')) throw new Error(`SqlRaw must not contain "?": ${sql}`);
  }
}
export const NOW = new SqlRaw('now()');

/** A raw `pg` client (e.g. a PoolClient holding a transaction): positional `$n` parameters. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface WriteOptions {
  /** The attempt's fence: the write applies only while `attempts` still equals it. */
  fence?: number;
  /** Write inside this transaction: a MikroORM EntityManager (e.g. a claimed batch) or a pg client. */
  em?: EntityManager | SqlClient;
  /** Optimistic guard: apply only if the row was not updated since this `updated_at` (text, as read). */
  unchangedSince?: string;
  /** Close this attempt in the same statement when the row changes. */
  closeAttempt?: { attempt: number; outcome: AttemptOutcome; error?: unknown };
}

export type TrackedFields = Partial<Record<keyof TrackedJob, unknown>>;

const WORKER_HOST = hostname();

/**
 * The SQL of the status machine, for any tracking table. Every write is one guarded
 * UPDATE; writes made by a running attempt also carry its fence (the row's `attempts`
 * when it started), so a worker that lost its lock can no longer change the row.
 */
@Injectable()
export class TrackingStore {
  constructor(private readonly orm: MikroORM) {}

  /** A fresh EntityManager for work outside an HTTP request. */
  em(): EntityManager {
    return this.orm.em.fork();
  }

  table(entity: EntityClass<TrackedJob>): string {
    return `"${this.orm.getMetadata().get(entity).tableName}"`;
  }

  /** Whether the type's table holds history imported from the old system (`legacy_ref`). */
  hasLegacyRef(entity: EntityClass<TrackedJob>): boolean {
    return 'legacyRef' in this.orm.getMetadata().get(entity).properties;
  }

  private property(entity: EntityClass<TrackedJob>, property: string) {
    const prop = this.orm.getMetadata().get(entity).properties[property as keyof TrackedJob];
    if (!prop) throw new Error(`unknown tracked property ${property}`);
    const platform = this.orm.em.getPlatform();
    return {
      column: `"${prop.fieldNames[0]}"`,
      json: isJson(prop.columnTypes?.[0]),
      // An array (e.g. date[]) goes as PostgreSQL's array text: `em.execute` would spread a JS
      // array into a list of values.
      toDb: (value: unknown) =>
        Array.isArray(value) && prop.customType
          ? prop.customType.convertToDatabaseValue(value, platform)
          : value,
    };
  }

  /**
   * Applies a named transition to one row and returns it, or null when the row was not
   * in a state the transition accepts (or the fence no longer matches).
   */
  async transition<T extends TrackedJob>(
    entity: EntityClass<T>,
    id: string,
    name: TransitionName,
    set: TrackedFields = {},
    opts: WriteOptions = {},
  ): Promise<T | null> {
    const { from, to } = TRANSITIONS[name];
    return this.update(entity, id, { ...set, status: to }, [...from], opts);
  }

  /** Guarded write without a status change (progress, outcome details of a cancelled row). */
  async update<T extends TrackedJob>(
    entity: EntityClass<T>,
    id: string,
    set: TrackedFields,
    whenStatus: readonly JobStatus[],
    { fence, em = this.em(), closeAttempt, unchangedSince }: WriteOptions = {},
  ): Promise<T | null> {
    const params: unknown[] = [];
    const assignments = Object.entries({ ...set, updatedAt: NOW }).map(([name, value]) => {
      const { column, json, toDb } = this.property(entity, name);
      if (value instanceof SqlRaw) return `${column} = ${value.sql}`;
      params.push(json && value !== null ? JSON.stringify(value) : toDb(value));
      return `${column} = ?`;
    });
    params.push(id, ...whenStatus);
    let where = `id = ? AND status IN (${placeholders(whenStatus)})`;
    if (fence !== undefined) {
      where += ' AND attempts = ?';
      params.push(fence);
    }
    if (unchangedSince !== undefined) {
      where += ' AND updated_at = ?::timestamptz';
      params.push(unchangedSince);
    }
    let sql = `UPDATE ${this.table(entity)} SET ${assignments.join(', ')} WHERE ${where} RETURNING *`;
    if (closeAttempt) {
      // The attempt closes in the same statement, and only if the row changed.
      const err = toError(closeAttempt.error);
      sql = `WITH changed AS (${sql}),
        closed AS (UPDATE job_attempts SET outcome = ?, finished_at = now(), error_class = ?, error_message = ?
                    WHERE job_id = ? AND attempt = ? AND EXISTS (SELECT 1 FROM changed))
        SELECT * FROM changed`;
      params.push(
        closeAttempt.outcome,
        err?.name ?? null,
        err?.message.slice(0, 2000) ?? null,
        id,
        closeAttempt.attempt,
      );
    }
    if (isSqlClient(em)) {
      const { rows } = await em.query(numbered(sql), params);
      return rows.length ? (this.em().map(entity, rows[0] as never) as T) : null;
    }
    const rows = await em.execute<Record<string, unknown>[]>(sql, params, 'all');
    // Mapped on a fresh fork: never merged into a caller's identity map (unsaved changes).
    return rows.length ? (this.em().map(entity, rows[0] as never) as T) : null;
  }

  /**
   * Starts an attempt: the row moves to PROCESSING with attempts + 1 (the new attempt's
   * number and fence) and an attempt row is opened; the row records which queue job and
   * lock hold the attempt. A PROCESSING row is taken over only by that same queue job
   * delivered again under a new lock (its worker died or lost the lock); a delivery of
   * the row under another queue job id is refused.
   */
  async startAttempt<T extends TrackedJob>(
    entity: EntityClass<T>,
    type: string,
    id: string,
    delivery: { queueJobId: string; lockToken: string },
  ): Promise<T | null> {
    // One statement (one round trip, one commit): start the row, close any attempt a dead
    // worker left open, open this attempt. All parts see one snapshot and touch other rows.
    const em = this.em();
    try {
      const rows = await em.execute<Record<string, unknown>[]>(
        `WITH started AS (
           UPDATE ${this.table(entity)}
              SET status = 'PROCESSING', attempts = attempts + 1, started_at = now(), updated_at = now(),
                  progress_message = NULL, lock_token = ?, queue_job_id = ?
            WHERE id = ? AND attempts < max_attempts
              AND (status IN (${placeholders(TRANSITIONS.start.from)})
                   OR (status = 'PROCESSING' AND queue_job_id = ? AND lock_token IS DISTINCT FROM ?))
            RETURNING *),
         lost AS (
           UPDATE job_attempts
              SET outcome = 'lost', finished_at = now(), error_class = 'WorkerLost',
                  error_message = 'worker died or lost its lock'
            WHERE job_id = ? AND outcome = 'running' AND EXISTS (SELECT 1 FROM started)),
         opened AS (
           INSERT INTO job_attempts (id, job_id, job_type, attempt, worker_host, worker_pid, started_at, outcome)
           SELECT gen_random_uuid(), started.id, ?, started.attempts, ?, ?, now(), 'running' FROM started)
         SELECT * FROM started`,
        [
          delivery.lockToken,
          delivery.queueJobId,
          id,
          ...TRANSITIONS.start.from,
          delivery.queueJobId,
          delivery.lockToken,
          id,
          type,
          WORKER_HOST,
          process.pid,
        ],
        'all',
      );
      return rows.length ? (em.map(entity, rows[0] as never) as T) : null;
    } catch (err) {
      // Two deliveries racing past the row lock: the loser's attempt number is taken.
      if (err instanceof UniqueConstraintViolationException) return null;
      throw err;
    }
  }

  /** Closes the open attempt of a job with its outcome. */
  async finishAttempt(
    jobId: string,
    attempt: number,
    outcome: AttemptOutcome,
    error?: unknown,
  ): Promise<void> {
    const err = toError(error);
    await this.em().nativeUpdate(
      JobAttempt,
      { jobId, attempt },
      {
        outcome,
        finishedAt: new Date(),
        errorClass: err ? err.name : null,
        errorMessage: err ? err.message.slice(0, 2000) : null,
      },
    );
  }

  /** Marks attempts still `running` as ended (the worker running them is gone). */
  async closeRunningAttempts(
    em: EntityManager,
    jobId: string,
    outcome: AttemptOutcome,
    errorClass: string,
    message: string,
  ): Promise<void> {
    await em.execute(
      `UPDATE job_attempts SET outcome = ?, finished_at = now(), error_class = ?, error_message = ?
        WHERE job_id = ? AND outcome = 'running'`,
      [outcome, errorClass, message, jobId],
    );
  }

  async attempts(jobId: string): Promise<JobAttempt[]> {
    return this.em().find(JobAttempt, { jobId }, { orderBy: { attempt: 'asc' } });
  }

  /**
   * Claims up to `limit` rows in `statuses` not updated for `graceMs`, skipping rows
   * another replica holds, and calls `handle` for each inside the claiming transaction.
   */
  async claimBatch<T extends TrackedJob>(
    entity: EntityClass<T>,
    statuses: readonly JobStatus[],
    graceMs: number,
    limit: number,
    handle: (job: T, em: EntityManager) => Promise<void>,
  ): Promise<number> {
    return this.em().transactional(async (em) => {
      const rows = await em.execute<Record<string, unknown>[]>(
        `SELECT * FROM ${this.table(entity)}
          WHERE status IN (${placeholders(statuses)}) AND updated_at < now() - (? * interval '1 millisecond')
          ORDER BY updated_at LIMIT ? FOR UPDATE SKIP LOCKED`,
        [...statuses, graceMs, limit],
        'all',
      );
      for (const row of rows) await handle(em.map(entity, row as never) as T, em);
      return rows.length;
    });
  }
}

/** `?, ?, ?` for a list (MikroORM binds arrays element by element). */
export function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function toError(error: unknown): Error | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? error : new Error(String(error));
}

function isJson(columnType: string | undefined): boolean {
  return columnType === 'json' || columnType === 'jsonb';
}

function isSqlClient(em: EntityManager | SqlClient): em is SqlClient {
  return typeof (em as SqlClient).query === 'function' && !('fork' in em);
}

/** `?` placeholders as pg's `$1, $2, …` (the statements built here hold no `?` in literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
