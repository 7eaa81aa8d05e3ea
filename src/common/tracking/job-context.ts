import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { TrackedJob } from './tracked-job.entity';
import type { SqlClient } from './tracking-store';

/** Counts a job reports with its progress (rows processed, inserted, ...). */
export type ProgressCounts = Record<string, number>;

/** The one shape of progress, in BullMQ's job progress, the row and the events. */
export interface JobProgress {
  progress: number;
  message: string | null;
  counts?: ProgressCounts;
}

export interface ChildrenOutcome {
  total: number;
  byStatus: Record<string, number>;
}

/** What a worker puts in BullMQ's job progress: enough for any API replica to route it. */
export interface QueueProgress extends JobProgress {
  id: string;
  tenantId: string | null;
  /** The attempt reporting (a later attempt's progress follows an earlier end). */
  attempt: number;
}

/** A type's own columns (those its entity adds to the base), as `ctx.save()` writes them. */
export type OwnFields<T extends TrackedJob> = Partial<Omit<T, keyof TrackedJob>>;

/** What `run()` gets besides its row. */
export interface JobContext<T extends TrackedJob = TrackedJob> {
  /** Aborted on cancel, hard time limit or shutdown; check it between batches. */
  readonly signal: AbortSignal;
  /** pino logger bound to the job id, type, tenant and attempt. */
  readonly logger: Logger;
  /** 1-based attempt number of this run within the job's budget. */
  readonly attempt: number;
  /**
   * Reports progress (0-100): to the queue at once, to the row throttled. A report the
   * queue does not take (Redis down) is dropped and logged, never failing the job; it
   * throws only once the attempt is over (cancelled, timed out, shutting down).
   */
  progress(progress: number, message?: string, counts?: ProgressCounts): Promise<void>;
  /**
   * Writes the type's own columns, fenced: only while the row is PROCESSING under this
   * attempt. Pass `em` (a MikroORM EntityManager or a pg client) to write inside your own
   * transaction. Throws AttemptSupersededError once the attempt no longer owns the row.
   */
  save(fields: OwnFields<T>, options?: { em?: EntityManager | SqlClient }): Promise<void>;
  /** This job as a parent, for children created with `{ parent }`. */
  readonly parent: { id: string; type: string };
  /**
   * Waits until every child (of any type) has ended, then tells how they ended. The
   * row stays PROCESSING meanwhile, so the parent completes only when its work is done.
   */
  waitForChildren(): Promise<ChildrenOutcome>;
}
