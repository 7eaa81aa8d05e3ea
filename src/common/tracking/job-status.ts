/** Lifecycle of every tracked job; see DESIGN.md "Status machine". */
export enum JobStatus {
  /** Row saved, not yet handed to the queue (the outbox). */
  PENDING = 'PENDING',
  /** In the queue, waiting for a worker. */
  QUEUED = 'QUEUED',
  PROCESSING = 'PROCESSING',
  /** An attempt failed; waiting for the backoff delay. */
  RETRYING = 'RETRYING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}

export enum JobPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}

/** BullMQ priorities: lower number runs first; 0 (no priority) is avoided so all are ordered. */
export const BULLMQ_PRIORITY: Record<JobPriority, number> = {
  [JobPriority.URGENT]: 1,
  [JobPriority.HIGH]: 2,
  [JobPriority.NORMAL]: 3,
  [JobPriority.LOW]: 4,
};

export const TERMINAL_STATUSES: readonly JobStatus[] = [
  JobStatus.COMPLETED,
  JobStatus.FAILED,
  JobStatus.CANCELLED,
];

export const ACTIVE_STATUSES: readonly JobStatus[] = [
  JobStatus.PENDING,
  JobStatus.QUEUED,
  JobStatus.PROCESSING,
  JobStatus.RETRYING,
];

/**
 * Every allowed transition, by name. Each is applied as one guarded UPDATE
 * (`WHERE id = ? AND status IN (from)`), so concurrent writers cannot both win.
 */
export const TRANSITIONS = {
  /** The outbox hands the row to the queue. */
  enqueue: { from: [JobStatus.PENDING], to: JobStatus.QUEUED },
  /** A worker starts an attempt (PROCESSING is allowed only to take over a dead worker's attempt). */
  start: {
    from: [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RETRYING],
    to: JobStatus.PROCESSING,
  },
  complete: { from: [JobStatus.PROCESSING], to: JobStatus.COMPLETED },
  /** An attempt failed and attempts remain. */
  retryLater: { from: [JobStatus.PROCESSING], to: JobStatus.RETRYING },
  fail: { from: [JobStatus.PROCESSING, JobStatus.RETRYING], to: JobStatus.FAILED },
  cancel: { from: ACTIVE_STATUSES, to: JobStatus.CANCELLED },
  /** A worker shutting down gives its attempt back without using the budget. */
  handBack: { from: [JobStatus.PROCESSING], to: JobStatus.QUEUED },
  /** Orphan rescue puts a row whose queue job vanished back in the queue. */
  rescue: {
    from: [JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.RETRYING],
    to: JobStatus.QUEUED,
  },
  /** Explicit retry by a user or operator, with a fresh attempt budget. */
  retry: { from: [JobStatus.FAILED, JobStatus.CANCELLED], to: JobStatus.QUEUED },
  /**
   * Run an ended job again, a completed one too, where its type allows it (a daily slot an
   * operator asks to run again); as a retry otherwise.
   */
  rerun: {
    from: [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED],
    to: JobStatus.QUEUED,
  },
} as const satisfies Record<string, { from: readonly JobStatus[]; to: JobStatus }>;

export type TransitionName = keyof typeof TRANSITIONS;

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
