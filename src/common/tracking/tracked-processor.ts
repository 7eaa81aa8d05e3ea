import { WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { redisOptionsFromUrl } from '../redis/redis-options';
import { withTimeout } from '../util/with-timeout';
import { BACKOFF_TYPE, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { AttemptOutcome } from './job-attempt.entity';
import { JobContext, JobProgress, ProgressCounts, QueueProgress } from './job-context';
import {
  HardTimeLimitError,
  isRetryable,
  JobCancelledError,
  WorkerShutdownError,
} from './job-errors';
import { JobStatus } from './job-status';
import { JobTypeDefinition, TrackedJobData } from './job-type';
import { resolveJobType, ResolvedJobType } from './job-type.registry';
import { Throttle } from './throttle';
import { TrackedJob } from './tracked-job.entity';
import { ProcessorDeps } from './tracking-deps';
import { NOW, SqlRaw } from './tracking-store';

/** How often a parent waiting for its children looks at their rows. */
const CHILD_POLL_MS = 250;
/** A handed-back job waits this long, so the stopping worker's last fetches skip it. */
const HAND_BACK_DELAY_MS = 1_000;
/** Bound on Redis calls made while stopping (Redis may be the reason we stop). */
const STOP_TIMEOUT_MS = 5_000;

/**
 * The one place that runs a tracked job's lifecycle: start (guarded and fenced), run,
 * then COMPLETED, RETRYING (rethrow: BullMQ backs off), FAILED, CANCELLED, or handed back
 * on shutdown. A subclass implements `run()` and nothing else.
 */
export abstract class TrackedProcessor<T extends TrackedJob>
  extends WorkerHost
  implements OnApplicationBootstrap, OnModuleDestroy
{
  readonly definition: ResolvedJobType<T>;
  private readonly running = new Set<AbortController>();
  private stopping = false;
  private readonly log: Logger;

  protected constructor(
    protected readonly deps: ProcessorDeps,
    definition: JobTypeDefinition<T>,
  ) {
    super();
    this.definition = resolveJobType(definition);
    this.log = deps.logger.child({ context: this.constructor.name, jobType: definition.type });
  }

  /** The job's work. Return a JSON summary (stored as `result`); throw to fail the attempt. */
  abstract run(job: T, ctx: JobContext): Promise<Record<string, unknown> | void>;

  onApplicationBootstrap(): void {
    const { env } = this.deps.config;
    if (!this.deps.config.runsWorkers) return;
    this.deps.cancelBus.start();
    const policy = { ...DEFAULT_BACKOFF, baseMs: env.BACKOFF_BASE_MS, maxMs: env.BACKOFF_MAX_MS };
    const worker = new Worker<TrackedJobData>(
      this.definition.queue,
      (job, token, signal) => this.process(job, token, signal),
      {
        connection: redisOptionsFromUrl(env.REDIS_URL),
        prefix: env.QUEUE_PREFIX,
        concurrency: this.definition.concurrency,
        lockDuration: env.WORKER_LOCK_MS,
        stalledInterval: env.WORKER_STALLED_INTERVAL_MS,
        settings: {
          backoffStrategy: (made, type) => (type === BACKOFF_TYPE ? backoffDelay(made, policy) : 0),
        },
      },
    );
    worker.on('error', (err) => this.log.error({ err }, 'worker error'));
    // WorkerHost exposes `worker`; we create it ourselves so its options come from validated config.
    (this as unknown as { _worker: Worker })._worker = worker;
  }

  /**
   * SIGTERM: stop taking jobs, let running ones finish within SHUTDOWN_GRACE_MS, then hand
   * the rest back to the queue (the attempt does not count against the budget).
   */
  async onModuleDestroy(): Promise<void> {
    const worker = (this as unknown as { _worker?: Worker })._worker;
    if (!worker) return;
    this.stopping = true;
    await worker.pause(true); // no new fetches; does not wait for running ones
    const grace = setTimeout(() => {
      for (const controller of this.running) controller.abort(new WorkerShutdownError());
    }, this.deps.config.env.SHUTDOWN_GRACE_MS);
    while (this.running.size) await sleep(20);
    clearTimeout(grace);
    // BullMQ's close() waits forever while Redis is unreachable; the jobs are settled by now.
    const closed = await withTimeout(
      worker.close().then(() => true),
      STOP_TIMEOUT_MS,
      () => false,
    );
    if (!closed) {
      this.log.warn('worker did not close in time (Redis unreachable?); leaving it');
    }
  }

  async process(job: Job<TrackedJobData>, token?: string, signal?: AbortSignal): Promise<unknown> {
    if (this.stopping && token) return this.giveBack(job, token); // fetched just before the pause
    const id = job.data.id;
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    // Listen before starting, so a cancel landing between the start and run() is not missed.
    const stopListening = this.deps.cancelBus.listen(id, (m) =>
      controller.abort(new JobCancelledError(m.cancelledBy, m.reason)),
    );
    this.running.add(controller);
    try {
      const delivery = {
        queueJobId: job.id ?? id,
        lockToken: token ?? `${process.pid}:${Date.now()}`,
      };
      const row = await this.deps.ops.store.startAttempt(
        this.definition.entity,
        this.definition.type,
        id,
        delivery,
      );
      if (!row) return await this.notStarted(job, delivery.lockToken);
      return await this.attempt(job, token, row, controller);
    } finally {
      stopListening();
      this.running.delete(controller);
    }
  }

  private async attempt(
    job: Job,
    token: string | undefined,
    row: T,
    controller: AbortController,
  ): Promise<unknown> {
    const { entity, type, softTimeLimitMs, hardTimeLimitMs } = this.definition;
    const store = this.deps.ops.store;
    const { id } = row;
    const startedAt = performance.now();
    const fence = row.attempts; // this attempt's number, and the guard on each of its writes
    const log = this.log.child({ jobId: id, tenantId: row.tenantId, attempt: fence });
    let ended = false;
    const soft = setTimeout(
      () => log.warn({ limitMs: softTimeLimitMs }, 'soft time limit exceeded'),
      softTimeLimitMs,
    );
    const hard = setTimeout(
      () => controller.abort(new HardTimeLimitError(hardTimeLimitMs)),
      hardTimeLimitMs,
    );
    const rowProgress = new Throttle<JobProgress>(
      this.deps.config.env.PROGRESS_WRITE_INTERVAL_MS,
      async (p) => {
        const set = { progress: p.progress, progressMessage: p.message };
        const written = await store
          .update(entity, id, set, [JobStatus.PROCESSING], { fence })
          .catch((err) => {
            log.warn({ err }, 'progress write failed');
          });
        if (written === null) controller.abort(await this.whyGone(id)); // cancelled elsewhere: stop
      },
    );
    const ctx: JobContext = {
      signal: controller.signal,
      logger: log,
      attempt: fence,
      parent: { id, type },
      progress: async (pct: number, message?: string, counts?: ProgressCounts) => {
        if (ended) throw controller.signal.reason ?? new Error('this attempt has ended');
        const p: JobProgress = {
          progress: Math.max(0, Math.min(100, Math.round(pct))),
          message: message ?? null,
          counts,
        };
        const routed: QueueProgress = { ...p, id, tenantId: row.tenantId, attempt: fence };
        await job.updateProgress(routed as unknown as object);
        await rowProgress.push(p);
      },
      waitForChildren: async () => {
        for (;;) {
          const children = await this.deps.ops.children(id);
          if (children.settled) return { total: children.total, byStatus: children.byStatus };
          await sleep(CHILD_POLL_MS, undefined, { signal: controller.signal });
        }
      },
    };
    log.info('attempt started');
    try {
      const result = await Promise.race([this.run(row, ctx), rejectOnAbort(controller.signal)]);
      ended = true;
      await rowProgress.flush();
      const set = {
        completedAt: NOW,
        progress: 100,
        result: result ?? null,
        errorMessage: null,
        lockToken: null,
      };
      const closeAttempt = { attempt: fence, outcome: AttemptOutcome.COMPLETED };
      if (!(await store.transition(entity, id, 'complete', set, { fence, closeAttempt }))) {
        return await this.endSuperseded(row, log, await this.whyGone(id), startedAt);
      }
      this.observe(AttemptOutcome.COMPLETED, startedAt);
      log.info('completed');
      return result ?? null;
    } catch (error) {
      ended = true;
      rowProgress.cancel();
      const cause = controller.signal.aborted ? controller.signal.reason : error;
      return await this.endFailed(job, token, row, cause, log, startedAt);
    } finally {
      ended = true;
      clearTimeout(soft);
      clearTimeout(hard);
    }
  }

  private async endFailed(
    job: Job,
    token: string | undefined,
    row: T,
    error: unknown,
    log: Logger,
    startedAt: number,
  ): Promise<never> {
    const { entity } = this.definition;
    const store = this.deps.ops.store;
    const fence = row.attempts;
    if (error instanceof JobCancelledError) {
      const why = await this.whyGone(row.id);
      if (why instanceof JobCancelledError) return this.endSuperseded(row, log, why, startedAt);
      // A stale cancel message (for an earlier attempt): this attempt fails like any other.
    }
    if (error instanceof WorkerShutdownError && token) {
      const set = { maxAttempts: new SqlRaw('max_attempts + 1'), lockToken: null }; // not counted
      const closeAttempt = { attempt: fence, outcome: AttemptOutcome.HANDED_BACK, error };
      if (await store.transition(entity, row.id, 'handBack', set, { fence, closeAttempt })) {
        this.observe(AttemptOutcome.HANDED_BACK, startedAt);
        log.info('handed back to the queue');
        return this.giveBack(job, token);
      }
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const retry = isRetryable(err) && fence < row.maxAttempts;
    const details = {
      class: err.name,
      stack: err.stack,
      ...(hasDetails(err) ? { details: err.details } : {}),
    };
    const set = {
      errorMessage: err.message.slice(0, 4000),
      errorDetails: details,
      lockToken: null,
    };
    const closeAttempt = {
      attempt: fence,
      outcome: retry ? AttemptOutcome.RETRYING : AttemptOutcome.FAILED,
      error: err,
    };
    const next = retry
      ? await store.transition(entity, row.id, 'retryLater', set, { fence, closeAttempt })
      : await store.transition(
          entity,
          row.id,
          'fail',
          { ...set, completedAt: NOW },
          { fence, closeAttempt },
        );
    if (!next) return this.endSuperseded(row, log, await this.whyGone(row.id), startedAt);
    this.observe(closeAttempt.outcome, startedAt);
    log.warn(
      { err: { type: err.name, message: err.message } },
      retry ? 'attempt failed; will retry' : 'failed',
    );
    throw retry ? err : new UnrecoverableError(err.message);
  }

  /** The row left PROCESSING under us (cancelled, or taken over): record the attempt and stop. */
  private async endSuperseded(row: T, log: Logger, why: Error, startedAt: number): Promise<never> {
    const store = this.deps.ops.store;
    const cancelled = why instanceof JobCancelledError;
    this.observe(cancelled ? AttemptOutcome.CANCELLED : AttemptOutcome.LOST, startedAt);
    await store.finishAttempt(
      row.id,
      row.attempts,
      cancelled ? AttemptOutcome.CANCELLED : AttemptOutcome.LOST,
      why,
    );
    if (cancelled) {
      const set = { progressMessage: `stopped: ${why.message}` };
      await store.update(this.definition.entity, row.id, set, [JobStatus.CANCELLED], {
        fence: row.attempts,
      });
    }
    log.info({ reason: why.message }, 'stopped: the row is no longer ours');
    throw new UnrecoverableError(why.message);
  }

  /** Attempt duration by outcome; completed and failed jobs are counted too. */
  private observe(outcome: AttemptOutcome, startedAt: number): void {
    const { metrics } = this.deps.ops;
    const { type } = this.definition;
    metrics.attemptDuration.observe({ type, outcome }, (performance.now() - startedAt) / 1000);
    if (outcome === AttemptOutcome.COMPLETED) metrics.completed.inc({ type });
    if (outcome === AttemptOutcome.FAILED) metrics.failed.inc({ type });
  }

  private async whyGone(id: string): Promise<Error> {
    const row = await this.deps.ops.store.em().findOne(this.definition.entity, { id } as never);
    if (row?.status === JobStatus.CANCELLED)
      return new JobCancelledError(row.cancelledBy, row.cancelReason);
    return new Error(`row is ${row?.status ?? 'gone'}; another attempt owns it`);
  }

  /** The queue delivered a job whose row is not startable: ended, cancelled, or running elsewhere. */
  private async notStarted(job: Job<TrackedJobData>, lockToken: string): Promise<unknown> {
    const store = this.deps.ops.store;
    const row = await store.em().findOne(this.definition.entity, { id: job.data.id } as never);
    const takeover =
      row?.status === JobStatus.PROCESSING &&
      row.queueJobId === job.id &&
      row.lockToken !== lockToken;
    if (row && takeover && row.attempts >= row.maxAttempts) {
      // The worker running the last allowed attempt died: the budget is spent.
      const closeAttempt = {
        attempt: row.attempts,
        outcome: AttemptOutcome.LOST,
        error: new Error('worker died or lost its lock'),
      };
      const set = {
        completedAt: NOW,
        errorMessage: 'worker lost during the last allowed attempt',
        lockToken: null,
      };
      await store.transition(this.definition.entity, row.id, 'fail', set, {
        fence: row.attempts,
        closeAttempt,
      });
      this.deps.ops.metrics.failed.inc({ type: this.definition.type });
      throw new UnrecoverableError('attempts exhausted');
    }
    this.log.info(
      { jobId: job.data.id, status: row?.status ?? 'missing' },
      'skipped: row not startable',
    );
    if (row?.status === JobStatus.CANCELLED) {
      // Cancelled while its worker was gone: close the attempt that worker left open.
      const em = store.em();
      await store.closeRunningAttempts(
        em,
        row.id,
        AttemptOutcome.CANCELLED,
        'JobCancelledError',
        'cancelled while no worker ran it',
      );
      throw new UnrecoverableError('cancelled');
    }
    return null;
  }

  /** Returns the job to the queue for another worker, without counting a failure. */
  private async giveBack(job: Job, token: string): Promise<never> {
    await withTimeout(
      job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token).catch(() => undefined),
      STOP_TIMEOUT_MS,
      () => undefined,
    );
    throw new DelayedError(); // if the move timed out, the lock expires and the job is redelivered
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function hasDetails(err: Error): err is Error & { details: unknown } {
  return 'details' in err && (err as { details?: unknown }).details !== undefined;
}
