import { UnrecoverableError } from 'bullmq';

/** An error that retrying cannot fix (bad input, missing reference): the job fails at once. */
export class NonRetryableError extends UnrecoverableError {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'NonRetryableError';
  }
}

/** Abort reason when a user or operator cancels a running job. */
export class JobCancelledError extends Error {
  constructor(
    readonly cancelledBy: string | null,
    readonly reason: string | null,
  ) {
    super(`cancelled${cancelledBy ? ` by ${cancelledBy}` : ''}${reason ? `: ${reason}` : ''}`);
    this.name = 'JobCancelledError';
  }
}

/** Abort reason when an attempt exceeds its hard time limit. */
export class HardTimeLimitError extends Error {
  constructor(readonly limitMs: number) {
    super(`hard time limit of ${limitMs} ms exceeded`);
    this.name = 'HardTimeLimitError';
  }
}

/** Abort reason when the worker shuts down and hands the job back to the queue. */
export class WorkerShutdownError extends Error {
  constructor() {
    super('worker shutting down; job handed back to the queue');
    this.name = 'WorkerShutdownError';
  }
}

/** A fenced write refused: the attempt no longer owns the row (cancelled, or taken over). */
export class AttemptSupersededError extends Error {
  constructor(jobId: string, attempt: number) {
    super(`job ${jobId}: attempt ${attempt} no longer owns the row (cancelled or taken over)`);
    this.name = 'AttemptSupersededError';
  }
}

/** Validation errors, non-retryable errors and BullMQ's UnrecoverableError fail a job at once. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return false;
  if (error instanceof Error && error.name === 'ValidationError') return false;
  return true;
}
