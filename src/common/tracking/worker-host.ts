import { Job, Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EnvironmentVariables } from '../../config/env';
import { redisOptionsFromUrl } from '../redis/redis-options';
import { withTimeout } from '../util/with-timeout';
import { AttemptRunner } from './attempt-runner';
import { giveBack, STOP_TIMEOUT_MS } from './redelivery';
import { BACKOFF_TYPE, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { WorkerShutdownError } from './job-errors';
import { TrackedJobData } from './job-type';
import { RegisteredJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';

/**
 * Hosts one type's BullMQ worker: takes deliveries, runs each as an attempt, and on
 * shutdown stops fetching, lets running attempts finish within SHUTDOWN_GRACE_MS, then
 * hands the rest back to the queue (the attempt does not count against the budget).
 */
export class WorkerHost<T extends TrackedJob> {
  /** The BullMQ worker, once started (its events serve benchmarks and diagnostics). */
  worker?: Worker<TrackedJobData>;
  private readonly running = new Set<AbortController>();
  private stopping = false;

  constructor(
    readonly type: RegisteredJobType<T>,
    private readonly runner: AttemptRunner<T>,
    private readonly env: Readonly<EnvironmentVariables>,
    private readonly log: Logger,
  ) {}

  start(): void {
    const { env } = this;
    const policy = { ...DEFAULT_BACKOFF, baseMs: env.BACKOFF_BASE_MS, maxMs: env.BACKOFF_MAX_MS };
    this.worker = new Worker<TrackedJobData>(
      this.type.definition.queue,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: redisOptionsFromUrl(env.REDIS_URL),
        prefix: env.QUEUE_PREFIX,
        concurrency: this.type.definition.concurrency,
        lockDuration: env.WORKER_LOCK_MS,
        stalledInterval: env.WORKER_STALLED_INTERVAL_MS,
        settings: {
          backoffStrategy: (made, type) => (type === BACKOFF_TYPE ? backoffDelay(made, policy) : 0),
        },
      },
    );
    this.worker.on('error', (err) => this.log.error({ err }, 'worker error'));
  }

  /** SIGTERM: stop fetching, give running attempts the grace period, hand back the rest. */
  async stop(): Promise<void> {
    const { worker } = this;
    if (!worker) return;
    this.stopping = true;
    await worker.pause(true); // no new fetches; does not wait for running ones
    const grace = setTimeout(() => {
      for (const attempt of this.running) attempt.abort(new WorkerShutdownError());
    }, this.env.SHUTDOWN_GRACE_MS);
    while (this.running.size) await sleep(20);
    clearTimeout(grace);
    // BullMQ's close() waits forever while Redis is unreachable; the jobs are settled by now.
    const closed = await withTimeout(
      worker.close().then(() => true),
      STOP_TIMEOUT_MS,
      () => false,
    );
    if (!closed) this.log.warn('worker did not close in time (Redis unreachable?); leaving it');
  }

  private async process(job: Job<TrackedJobData>, token?: string, signal?: AbortSignal) {
    if (this.stopping && token) return giveBack(job, token); // fetched just before the pause
    const attempt = new AbortController();
    signal?.addEventListener('abort', () => attempt.abort(signal.reason), { once: true });
    this.running.add(attempt);
    try {
      return await this.runner.run(job, token, attempt);
    } finally {
      this.running.delete(attempt);
    }
  }
}
