import { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { redisOptionsFromUrl } from '../redis/redis-options';
import { BACKOFF_TYPE, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { AttemptOutcome } from './job-attempt.entity';
import { JobContext, JobProgress, ProgressCounts } from './job-context';
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
  private readonly running = new Map<string, AbortController>();
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
   * the rest back to the queue (their attempt is not counted).
   */
  async onModuleDestroy(): Promise<void> {
    const worker = (this as unknown as { _worker?: Worker })._worker;
    if (!worker) return;
    this.stopping = true;
    await worker.pause(true); // no new fetches; does not wait for running ones
    const grace = setTimeout(() => {
      for (const controller of this.running.values()) controller.abort(new WorkerShutdownError());
    }, this.deps.config.env.SHUTDOWN_GRACE_MS);
    while (this.running.size) await new Promise((r) => setTimeout(r, 20));
    clearTimeout(grace);
    // BullMQ's close() waits forever while Redis is unreachable; the jobs are settled by now.
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      worker.close().then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), CLOSE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!closed) this.log.warn('worker did not close in time (Redis unreachable?); leaving it');
  }

  async process(job: Job<TrackedJobData>, token?: string, signal?: AbortSignal): Promise<unknown> {
    const { entity, type } = this.definition;
    const store = this.deps.ops.store;
    const id = job.data.id;
    if (this.stopping && token) return this.giveBack(job, token); // fetched just before the pause
    const started = await store.startAttempt(entity, type, id, job.attemptsStarted);
    if (!started) return this.notStarted(job);
    const { job: row, attempt } = started;
    const fence = row.attempts;
    const log = this.log.child({ jobId: id, tenantId: row.tenantId, attempt });
    const controller = new AbortController();
    this.running.set(id, controller);
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    const stopListening = await this.deps.cancelBus.listen(id, (m) =>
      controller.abort(new JobCancelledError(m.cancelledBy, m.reason)),
    );
    const soft = setTimeout(
      () => log.warn({ limitMs: this.definition.softTimeLimitMs }, 'soft time limit exceeded'),
      this.definition.softTimeLimitMs,
    );
    const hard = setTimeout(
      () => controller.abort(new HardTimeLimitError(this.definition.hardTimeLimitMs)),
      this.definition.hardTimeLimitMs,
    );
    const rowProgress = new Throttle<JobProgress>(
      this.deps.config.env.PROGRESS_WRITE_INTERVAL_MS,
      async (p) => {
        const written = await store
          .update(
            entity,
            id,
            { progress: p.progress, progressMessage: p.message },
            [JobStatus.PROCESSING],
            { fence },
          )
          .catch((err) => log.warn({ err }, 'progress write failed'));
        if (written === null) controller.abort(await this.whyGone(id)); // cancelled elsewhere: stop
      },
    );
    const ctx: JobContext = {
      signal: controller.signal,
      logger: log,
      attempt: fence,
      progress: async (pct: number, message?: string, counts?: ProgressCounts) => {
        const p: JobProgress = {
          progress: Math.max(0, Math.min(100, Math.round(pct))),
          message: message ?? null,
          counts,
        };
        await job.updateProgress(p as unknown as object);
        await rowProgress.push(p);
      },
      parent: { id, type },
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
      await rowProgress.flush();
      const done = await store.transition(
        entity,
        id,
        'complete',
        { completedAt: NOW, progress: 100, result: result ?? null, errorMessage: null },
        { fence, closeAttempt: { attempt, outcome: AttemptOutcome.COMPLETED } },
      );
      if (!done) return await this.endSuperseded(id, attempt, fence, log, await this.whyGone(id));
      log.info('completed');
      return result ?? null;
    } catch (error) {
      rowProgress.cancel();
      const cause = controller.signal.aborted ? controller.signal.reason : error;
      return await this.endFailed(job, token, row, attempt, cause, log);
    } finally {
      clearTimeout(soft);
      clearTimeout(hard);
      stopListening();
      this.running.delete(id);
    }
  }

  private async endFailed(
    job: Job,
    token: string | undefined,
    row: T,
    attempt: number,
    error: unknown,
    log: Logger,
  ): Promise<never> {
    const { entity } = this.definition;
    const store = this.deps.ops.store;
    const fence = row.attempts;
    if (error instanceof JobCancelledError)
      return this.endSuperseded(row.id, attempt, fence, log, error);
    if (error instanceof WorkerShutdownError && token) {
      const back = await store.transition(
        entity,
        row.id,
        'handBack',
        { attempts: new SqlRaw('attempts - 1') },
        { fence, closeAttempt: { attempt, outcome: AttemptOutcome.HANDED_BACK, error } },
      );
      if (back) {
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
    const set = { errorMessage: err.message.slice(0, 4000), errorDetails: details };
    const closeAttempt = {
      attempt,
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
    if (!next) return this.endSuperseded(row.id, attempt, fence, log, await this.whyGone(row.id));
    log.warn(
      { err: { type: err.name, message: err.message } },
      retry ? 'attempt failed; will retry' : 'failed',
    );
    throw retry ? err : new UnrecoverableError(err.message);
  }

  /** Returns the job to the queue for another worker, without counting a failure. */
  private async giveBack(job: Job, token: string): Promise<never> {
    await job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token);
    throw new DelayedError();
  }

  /** The row left PROCESSING under us (cancelled, or taken over): record the attempt and stop. */
  private async endSuperseded(
    id: string,
    attempt: number,
    fence: number,
    log: Logger,
    why: Error,
  ): Promise<never> {
    const cancelled = why instanceof JobCancelledError;
    await this.deps.ops.store.finishAttempt(
      id,
      attempt,
      cancelled ? AttemptOutcome.CANCELLED : AttemptOutcome.LOST,
      why,
    );
    if (cancelled) {
      await this.deps.ops.store.update(
        this.definition.entity,
        id,
        { progressMessage: `stopped: ${why.message}` },
        [JobStatus.CANCELLED],
        { fence },
      );
    }
    log.info({ reason: why.message }, 'stopped: the row is no longer ours');
    throw new UnrecoverableError(why.message);
  }

  private async whyGone(id: string): Promise<Error> {
    const row = await this.deps.ops.store.em().findOne(this.definition.entity, { id } as never);
    if (row?.status === JobStatus.CANCELLED)
      return new JobCancelledError(row.cancelledBy, row.cancelReason);
    return new Error(`row is ${row?.status ?? 'gone'}; another attempt owns it`);
  }

  /** The queue delivered a job whose row is not startable: cancelled, finished, or running elsewhere. */
  private async notStarted(job: Job<TrackedJobData>): Promise<unknown> {
    const store = this.deps.ops.store;
    const row = await store.em().findOne(this.definition.entity, { id: job.data.id } as never);
    if (
      row &&
      row.status === JobStatus.PROCESSING &&
      row.attempts >= row.maxAttempts &&
      job.attemptsStarted > row.attempts
    ) {
      // The worker running the last allowed attempt died: the budget is spent.
      const em = store.em();
      await store.closeRunningAttempts(
        em,
        row.id,
        AttemptOutcome.LOST,
        'WorkerLost',
        'worker died or lost its lock',
      );
      await store.transition(
        this.definition.entity,
        row.id,
        'fail',
        { completedAt: NOW, errorMessage: 'worker lost during the last allowed attempt' },
        { fence: row.attempts },
      );
      throw new UnrecoverableError('attempts exhausted');
    }
    this.log.info(
      { jobId: job.data.id, status: row?.status ?? 'missing' },
      'skipped: row not startable',
    );
    if (row && row.status === JobStatus.CANCELLED) throw new UnrecoverableError('cancelled');
    return null;
  }
}

/** How often a parent waiting for its children looks at their rows. */
const CHILD_POLL_MS = 250;

/** A handed-back job waits this long, so the stopping worker's last fetches skip it. */
const HAND_BACK_DELAY_MS = 1_000;

/** How long a settled worker may take to close its Redis connections. */
const CLOSE_TIMEOUT_MS = 5_000;

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function hasDetails(err: Error): err is Error & { details: unknown } {
  return 'details' in err && (err as { details?: unknown }).details !== undefined;
}
