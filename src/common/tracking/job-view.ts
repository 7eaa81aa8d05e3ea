import { wrap } from '@mikro-orm/core';
import { JobAttempt } from './job-attempt.entity';
import { TrackedJob } from './tracked-job.entity';

/** A job as clients see it: its fields, its type, its attempts; never a stack trace. */
export function jobView(
  type: string,
  job: TrackedJob,
  attempts?: JobAttempt[],
): Record<string, unknown> {
  const fields = wrap(job).toObject() as Record<string, unknown>;
  const details = job.errorDetails ? { ...job.errorDetails } : null;
  if (details) delete details.stack;
  return {
    ...fields,
    type,
    errorDetails: details,
    ...(attempts
      ? {
          attemptHistory: attempts.map((a) => ({
            attempt: a.attempt,
            workerHost: a.workerHost,
            workerPid: a.workerPid,
            startedAt: a.startedAt,
            finishedAt: a.finishedAt,
            outcome: a.outcome,
            errorClass: a.errorClass,
            errorMessage: a.errorMessage,
          })),
        }
      : {}),
  };
}
