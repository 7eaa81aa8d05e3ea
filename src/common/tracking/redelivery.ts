import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { withTimeout } from '../util/with-timeout';
import { AttemptOutcome } from './job-attempt.entity';
import { JobMetrics } from './job-metrics';
import { JobStatus } from './job-status';
import { TrackedJobData } from './job-type';
import { RegisteredJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';
import { NOW, TrackingStore } from './tracking-store';

/** A handed-back job waits this long, so the stopping worker's last fetches skip it. */
const HAND_BACK_DELAY_MS = 1_000;
/** Bound on Redis calls made while stopping (Redis may be the reason we stop). */
export const STOP_TIMEOUT_MS = 5_000;

/** Returns the job to the queue for another worker, without counting a failure. */
export async function giveBack(job: Job, token: string): Promise<never> {
  await withTimeout(
    job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token).catch(() => undefined),
    STOP_TIMEOUT_MS,
    () => undefined,
  );
  throw new DelayedError(); // if the move timed out, the lock expires and the job is redelivered
}

/**
 * The queue delivered a job whose row is not startable: ended, cancelled, or running
 * elsewhere. A takeover of a dead worker's last allowed attempt fails the job (the budget
 * is spent); a delivery of a cancelled row closes the attempt its dead worker left open.
 */
export async function notStarted<T extends TrackedJob>(
  type: RegisteredJobType<T>,
  deps: { store: TrackingStore; metrics: JobMetrics },
  log: Logger,
  job: Job<TrackedJobData>,
  lockToken: string,
): Promise<null> {
  const { store } = deps;
  const { entity } = type.definition;
  const row = await store.em().findOne(entity, { id: job.data.id } as never);
  const takeover =
    row?.status === JobStatus.PROCESSING &&
    row.queueJobId === job.id &&
    row.lockToken !== lockToken;
  if (row && takeover && row.attempts >= row.maxAttempts) {
    const error = new Error('worker died or lost its lock');
    const closeAttempt = { attempt: row.attempts, outcome: AttemptOutcome.LOST, error };
    const set = {
      completedAt: NOW,
      errorMessage: 'worker lost during the last allowed attempt',
      lockToken: null,
    };
    await store.transition(entity, row.id, 'fail', set, { fence: row.attempts, closeAttempt });
    deps.metrics.failed.inc({ type: type.definition.type });
    throw new UnrecoverableError('attempts exhausted');
  }
  log.info({ jobId: job.data.id, status: row?.status ?? 'missing' }, 'skipped: row not startable');
  if (row?.status === JobStatus.CANCELLED) {
    const message = 'cancelled while no worker ran it';
    await store.closeRunningAttempts(
      store.em(),
      row.id,
      AttemptOutcome.CANCELLED,
      'JobCancelledError',
      message,
    );
    throw new UnrecoverableError('cancelled');
  }
  return null;
}
