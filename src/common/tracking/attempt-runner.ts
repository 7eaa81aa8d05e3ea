import { Job, UnrecoverableError } from 'bullmq';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { recordEnding } from './attempt-close';
import { AttemptContext, AttemptContextDeps } from './attempt-context';
import { asError, chooseEnding, ENDINGS } from './attempt-ending';
import { CancelBus } from './cancel-bus';
import { AttemptOutcome } from './job-attempt.entity';
import { HardTimeLimitError, JobCancelledError, NonRetryableError } from './job-errors';
import { isDatabaseUnreachable } from '../util/database-errors';
import { JobMetrics } from './job-metrics';
import { JobStatus } from './job-status';
import { TrackedJobData } from './job-type';
import { RegisteredJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';
import { giveBack, notStarted } from './redelivery';

export interface AttemptRunnerDeps extends AttemptContextDeps {
  cancelBus: CancelBus;
  metrics: JobMetrics;
  /** True once the process is shutting down: an unreachable database is not waited for. */
  stopping(): boolean;
}

/**
 * One delivery of a queue job, from the guarded, fenced start to its ending: completed,
 * retrying (rethrown: BullMQ backs off), failed, handed back, or cancelled elsewhere.
 */
export class AttemptRunner<T extends TrackedJob> {
  constructor(
    private readonly type: RegisteredJobType<T>,
    private readonly deps: AttemptRunnerDeps,
    private readonly log: Logger,
  ) {}

  /** `stop` aborts the attempt with its reason (the host aborts it on shutdown). */
  async run(job: Job<TrackedJobData>, token: string | undefined, stop: AbortController) {
    const id = job.data.id;
    const { entity, type } = this.type.definition;
    // Listen before starting, so a cancel landing between the start and run() is not missed.
    const stopListening = this.deps.cancelBus.listen(id, (m) =>
      stop.abort(new JobCancelledError(m.cancelledBy, m.reason)),
    );
    try {
      const delivery = {
        queueJobId: job.id ?? id,
        lockToken: token ?? `${process.pid}:${Date.now()}`,
      };
      const row = await this.deps.store.startAttempt(entity, type, id, delivery);
      if (!row) return await notStarted(this.type, this.deps, this.log, job, delivery.lockToken);
      return await this.attempt(job, token, row, stop);
    } finally {
      stopListening();
    }
  }

  private async attempt(job: Job, token: string | undefined, row: T, stop: AbortController) {
    const { definition, processor } = this.type;
    const { softTimeLimitMs, hardTimeLimitMs } = definition;
    const startedAt = performance.now();
    const log = this.log.child({ jobId: row.id, tenantId: row.tenantId, attempt: row.attempts });
    const hardLimit = new AbortController();
    const signal = AbortSignal.any([stop.signal, hardLimit.signal]);
    const soft = setTimeout(
      () => log.warn({ limitMs: softTimeLimitMs }, 'soft time limit exceeded'),
      softTimeLimitMs,
    );
    const hard = setTimeout(
      () => hardLimit.abort(new HardTimeLimitError(hardTimeLimitMs)),
      hardTimeLimitMs,
    );
    const rowGone = async () => stop.abort(await this.whyGone(row.id));
    const ctx = new AttemptContext(definition, row, job, signal, log, this.deps, rowGone);
    let result: Record<string, unknown> | null = null;
    let error: unknown;
    log.info('attempt started');
    try {
      result = (await Promise.race([processor!.run(row, ctx), rejectOnAbort(signal)])) ?? null;
    } catch (thrown) {
      // An Error whatever was thrown (`throw undefined` must not read as success).
      error = asError(signal.aborted ? signal.reason : thrown);
    } finally {
      clearTimeout(soft);
      clearTimeout(hard);
    }
    await ctx.end(error === undefined);
    return this.end(job, token, row, log, startedAt, result, error);
  }

  private async end(
    job: Job,
    token: string | undefined,
    row: T,
    log: Logger,
    startedAt: number,
    result: Record<string, unknown> | null,
    error: unknown,
  ): Promise<unknown> {
    const fence = row.attempts;
    const why = error instanceof JobCancelledError ? await this.whyGone(row.id) : undefined;
    const kind = chooseEnding({
      error,
      attempt: fence,
      maxAttempts: row.maxAttempts,
      canHandBack: token !== undefined,
      rowCancelled: why instanceof JobCancelledError,
    });
    if (kind === 'cancelled') return this.superseded(row, log, why!, startedAt);
    const ending = ENDINGS[kind];
    const err = error === undefined ? undefined : asError(error);
    const closeAttempt = { attempt: fence, outcome: ending.outcome, error: err };
    const set = ending.fields({ result, error: err });
    const { entity } = this.type.definition;
    const opts = { fence, closeAttempt };
    // Retried while PostgreSQL is unreachable (restart, failover): see recordEnding.
    const { store, stopping } = this.deps;
    let ended: T | null;
    try {
      ended = await recordEnding(
        store,
        entity,
        row.id,
        ending.transition,
        set,
        opts,
        log,
        undefined,
        stopping,
      );
    } catch (writeError) {
      if (kind !== 'completed' || isDatabaseUnreachable(writeError)) throw writeError;
      // The work is done but its result cannot be stored (not JSON, a NUL byte): running it
      // again would give the same result, so the job fails, saying why.
      const reason = `the job's result could not be stored: ${asError(writeError).message}`;
      return this.end(job, token, row, log, startedAt, null, new NonRetryableError(reason));
    }
    if (!ended) return this.superseded(row, log, await this.whyGone(row.id), startedAt);
    this.observe(ending.outcome, startedAt);
    if (kind === 'completed') {
      log.info('completed');
      return result;
    }
    if (kind === 'handed_back') {
      log.info('handed back to the queue');
      return giveBack(job, token!);
    }
    const failure = { err: { type: err!.name, message: err!.message } };
    log.warn(failure, kind === 'retrying' ? 'attempt failed; will retry' : 'failed');
    throw kind === 'retrying' ? err : new UnrecoverableError(err!.message);
  }

  /** The row left PROCESSING under us (cancelled, or taken over): record the attempt and stop. */
  private async superseded(row: T, log: Logger, why: Error, startedAt: number): Promise<never> {
    const cancelled = why instanceof JobCancelledError;
    const outcome = cancelled ? AttemptOutcome.CANCELLED : AttemptOutcome.LOST;
    this.observe(outcome, startedAt);
    await this.deps.store.finishAttempt(row.id, row.attempts, outcome, why);
    if (cancelled) {
      const set = { progressMessage: `stopped: ${why.message}` };
      await this.deps.store.update(
        this.type.definition.entity,
        row.id,
        set,
        [JobStatus.CANCELLED],
        { fence: row.attempts },
      );
    }
    log.info({ reason: why.message }, 'stopped: the row is no longer ours');
    throw new UnrecoverableError(why.message);
  }

  /** Attempt duration by outcome; completed and failed jobs are counted too. */
  private observe(outcome: AttemptOutcome, startedAt: number): void {
    const { metrics } = this.deps;
    const { type } = this.type.definition;
    metrics.attemptDuration.observe({ type, outcome }, (performance.now() - startedAt) / 1000);
    if (outcome === AttemptOutcome.COMPLETED) metrics.completed.inc({ type });
    if (outcome === AttemptOutcome.FAILED) metrics.failed.inc({ type });
  }

  private async whyGone(id: string): Promise<Error> {
    const row = await this.read(id);
    if (row?.status === JobStatus.CANCELLED)
      return new JobCancelledError(row.cancelledBy, row.cancelReason);
    return new Error(`row is ${row?.status ?? 'gone'}; another attempt owns it`);
  }

  private read(id: string): Promise<T | null> {
    return this.deps.store.em().findOne(this.type.definition.entity, { id } as never);
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
