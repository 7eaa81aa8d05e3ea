import { AttemptOutcome } from './job-attempt.entity';
import { isRetryable, JobCancelledError, WorkerShutdownError } from './job-errors';
import { TransitionName } from './job-status';
import { NOW, SqlRaw, TrackedFields } from './tracking-store';

/** How an attempt ends. `cancelled`: the row was cancelled elsewhere; only the attempt closes. */
export type EndingKind = 'completed' | 'retrying' | 'failed' | 'handed_back' | 'cancelled';

export interface EndingInput {
  /** What run() threw, or the abort reason; undefined when run() returned. */
  error?: unknown;
  /** This attempt's number (its fence) and the row's budget. */
  attempt: number;
  maxAttempts: number;
  /** The queue gave a lock token, so the job can be moved back to the queue. */
  canHandBack: boolean;
  /** For a cancel: the row really is CANCELLED (not a stale message of an earlier attempt). */
  rowCancelled: boolean;
}

/** The choice among the five endings: a pure function of what happened. */
export function chooseEnding(input: EndingInput): EndingKind {
  const { error } = input;
  if (error === undefined) return 'completed';
  if (error instanceof JobCancelledError && input.rowCancelled) return 'cancelled';
  if (error instanceof WorkerShutdownError && input.canHandBack) return 'handed_back';
  return isRetryable(error) && input.attempt < input.maxAttempts ? 'retrying' : 'failed';
}

/** What each ending writes: the transition, the attempt's outcome and the row's fields. */
export const ENDINGS: Record<
  Exclude<EndingKind, 'cancelled'>,
  { transition: TransitionName; outcome: AttemptOutcome; fields(e: EndingFacts): TrackedFields }
> = {
  completed: {
    transition: 'complete',
    outcome: AttemptOutcome.COMPLETED,
    fields: ({ result }) => ({
      completedAt: NOW,
      progress: 100,
      result: result ?? null,
      errorMessage: null,
      lockToken: null,
    }),
  },
  retrying: {
    transition: 'retryLater',
    outcome: AttemptOutcome.RETRYING,
    fields: ({ error }) => errorFields(error!),
  },
  failed: {
    transition: 'fail',
    outcome: AttemptOutcome.FAILED,
    fields: ({ error }) => ({ ...errorFields(error!), completedAt: NOW }),
  },
  handed_back: {
    transition: 'handBack',
    outcome: AttemptOutcome.HANDED_BACK,
    // The attempt does not count against the budget.
    fields: () => ({ maxAttempts: new SqlRaw('max_attempts + 1'), lockToken: null }),
  },
};

export interface EndingFacts {
  result?: Record<string, unknown> | null;
  error?: Error;
}

function errorFields(err: Error): TrackedFields {
  const details = (err as { details?: unknown }).details;
  return {
    errorMessage: err.message.slice(0, 4000),
    errorDetails: {
      class: err.name,
      stack: err.stack,
      ...(details !== undefined ? { details } : {}),
    },
    lockToken: null,
  };
}

/** Any thrown value as an Error. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
