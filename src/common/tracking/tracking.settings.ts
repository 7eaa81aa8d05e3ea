import { Doc, IntVar } from '../../config/settings';

/** Tracked jobs: enqueueing, retries, workers, progress writes, hand-back on shutdown. */
export class TrackingSettings {
  @Doc(
    'How long a create request waits for Redis before answering with the row left PENDING; the outbox dispatcher picks up PENDING rows older than twice this.',
  )
  @IntVar(50)
  ENQUEUE_TIMEOUT_MS: number = 2_000;

  @Doc('First retry delay; doubles each attempt, ±10 % jitter.')
  @IntVar(1)
  BACKOFF_BASE_MS: number = 5_000;

  @Doc('Longest retry delay.')
  @IntVar(1)
  BACKOFF_MAX_MS: number = 600_000;

  @Doc(
    'Progress goes to Redis on every call, to PostgreSQL at most this often per job (the last value is written when the job completes).',
  )
  @IntVar(0)
  PROGRESS_WRITE_INTERVAL_MS: number = 1_000;

  @Doc(
    'BullMQ job lock. A worker that stops renewing it for this long is considered dead and its job is taken over.',
  )
  @IntVar(500)
  WORKER_LOCK_MS: number = 30_000;

  @Doc('How often workers look for jobs held by dead workers.')
  @IntVar(250)
  WORKER_STALLED_INTERVAL_MS: number = 30_000;

  @Doc(
    "On SIGTERM, time running jobs get to finish before they are handed back to the queue (the attempt does not use the budget). Keep `SHUTDOWN_DELAY_MS` + this + 20 s below the pod's `terminationGracePeriodSeconds`.",
  )
  @IntVar(0)
  SHUTDOWN_GRACE_MS: number = 20_000;
}
