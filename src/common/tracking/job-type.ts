import { EntityClass } from '@mikro-orm/core';
import type { JobContext } from './job-context';
import { TrackedJob } from './tracked-job.entity';

/**
 * What a job type declares once, in its feature's constants file; its module wires it with
 * `JobTypeModule.register(DEFINITION, { processor })`.
 */
export interface JobTypeDefinition<T extends TrackedJob = TrackedJob> {
  /** Type name, e.g. `upload`; shown in the jobs API and events. */
  type: string;
  /** BullMQ queue name (one queue per type). */
  queue: string;
  entity: EntityClass<T>;
  /** Default attempt budget of a new row. */
  maxAttempts?: number;
  /** A warning is logged when an attempt runs longer (default 10 min). */
  softTimeLimitMs?: number;
  /** The attempt's signal is aborted and the attempt fails (default 15 min). */
  hardTimeLimitMs?: number;
  /** Jobs one worker process runs at once (default 1). */
  concurrency?: number;
  /** Live events are also sent under this name, e.g. `upload` → `upload.progress`. */
  eventAlias?: string;
  /** Properties of the unique domain key; create returns the existing row on a clash. */
  uniqueKey?: (keyof T & string)[];
  /**
   * The unique key holds among active rows only (the table has a partial unique index
   * `WHERE status IN ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING')`): creating a row whose
   * key an active row holds returns that row; an ended row does not block a new one.
   */
  uniqueWhileActive?: boolean;
  /**
   * Text properties that describe a job in lists (e.g. an upload's file name and dataset):
   * shown as `summary` by `GET /jobs` and matched by its `q` filter.
   */
  summaryFields?: (keyof T & string)[];
}

export const DEFAULT_MAX_ATTEMPTS = 3;
export const DEFAULT_SOFT_TIME_LIMIT_MS = 10 * 60_000;
export const DEFAULT_HARD_TIME_LIMIT_MS = 15 * 60_000;

/** The data every BullMQ job of a tracked type carries: just the row id (the row is the truth). */
export interface TrackedJobData {
  id: string;
}

/**
 * Runs a type's jobs: a provider of the feature module, named once in
 * `JobTypeModule.register()`. The base starts, ends, retries and fences each attempt.
 */
export interface JobProcessor<T extends TrackedJob = TrackedJob> {
  /** The job's work. Return a JSON summary (stored as `result`); throw to fail the attempt. */
  run(job: T, ctx: JobContext<T>): Promise<Record<string, unknown> | void>;
  /** Retention deleted these rows (committed): remove what they own outside the database. */
  afterDelete?(jobs: T[]): Promise<void>;
}
