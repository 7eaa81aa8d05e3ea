import { FilterQuery, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import type { JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { Principal } from '../auth/principal';
import { DomainError } from '../http/domain-error';
import { ROOT_LOGGER } from '../logging/root-logger';
import { withTimeout } from '../util/with-timeout';
import { BACKOFF_TYPE } from './backoff';
import { CancelBus } from './cancel-bus';
import { JobAttempt } from './job-attempt.entity';
import { JobMetrics } from './job-metrics';
import {
  ACTIVE_STATUSES,
  BULLMQ_PRIORITY,
  JobPriority,
  JobStatus,
  TRANSITIONS,
} from './job-status';
import { TrackedJobData } from './job-type';
import { FoundJob, JobLookup } from './job-lookup';
import { JobTypeRegistry, RegisteredJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';
import { NOW, SqlRaw, TrackingStore } from './tracking-store';

/** BullMQ keeps recent finished jobs only; the history lives in PostgreSQL. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 1_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 5_000 };

/**
 * Operations common to every job type: hand a row to its queue, cancel, retry. Reads
 * across types are JobLookup's. Type-specific services build on these.
 */
@Injectable()
export class JobOperations {
  private readonly logger: Logger;

  constructor(
    readonly store: TrackingStore,
    readonly registry: JobTypeRegistry,
    private readonly cancelBus: CancelBus,
    private readonly config: AppConfig,
    readonly metrics: JobMetrics,
    readonly lookup: JobLookup,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: JobOperations.name });
  }

  /**
   * Adds the row's BullMQ job (id = row id, so adding twice is harmless). Returns false,
   * without throwing, when Redis does not answer in time: the row then waits for the
   * outbox dispatcher or the orphan rescue.
   */
  async enqueue(type: RegisteredJobType, job: TrackedJob): Promise<boolean> {
    const options: JobsOptions = {
      jobId: job.id,
      priority: BULLMQ_PRIORITY[job.priority as JobPriority],
      // The row decides when to stop (UnrecoverableError); BullMQ gets slack for failures
      // the row never saw (e.g. PostgreSQL down while starting an attempt).
      attempts: 2 * Math.max(1, job.maxAttempts - job.attempts) + 1,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    };
    const data: TrackedJobData = { id: job.id };
    try {
      await withTimeout(
        type.queue.add(type.definition.type, data, options),
        this.config.env.ENQUEUE_TIMEOUT_MS,
        () => {
          throw new Error('Redis did not answer in time');
        },
      );
      return true;
    } catch (err) {
      this.logger.warn(
        { err, jobId: job.id, jobType: type.definition.type },
        'enqueue failed; the row stays for the dispatcher',
      );
      return false;
    }
  }

  /** Logs a queue's connection errors (BullMQ prints them to the console otherwise). */
  watchQueue(
    type: string,
    queue: { on(event: 'error', listener: (err: Error) => void): unknown },
  ): void {
    let last = 0;
    queue.on('error', (err) => {
      if (Date.now() - last < 10_000) return; // one line per 10 s while Redis is down
      last = Date.now();
      this.logger.warn({ err: { message: err.message }, jobType: type }, 'queue connection error');
    });
  }

  /** Finds a job of any type by id; another tenant's job is "not found" (see JobLookup). */
  find(id: string, principal: Principal): Promise<FoundJob> {
    return this.lookup.find(id, principal);
  }

  attempts(jobId: string): Promise<JobAttempt[]> {
    return this.store.attempts(jobId);
  }

  /**
   * Cancels a job that has not ended. A waiting job leaves the queue; a running one is
   * told through the cancel channel and stops at its next check of the signal.
   */
  async cancel(found: FoundJob, principal: Principal, reason: string | null): Promise<TrackedJob> {
    const { type, job } = found;
    const cancelled = await this.store.transition(type.definition.entity, job.id, 'cancel', {
      completedAt: NOW,
      cancelledBy: principal.sub,
      cancelReason: reason,
    });
    if (!cancelled) throw await this.conflict(found, 'cancelled');
    this.metrics.cancelled.inc({ type: type.definition.type });
    // A waiting job leaves the queue; an active one is locked (0 removed): its worker stops it.
    await removeFromQueue(found);
    await this.requeueIfRetried(type, job.id); // a retry may have slipped in before that remove
    await this.cancelBus
      .publish({ jobId: job.id, cancelledBy: principal.sub, reason })
      .catch((err) =>
        this.logger.warn(
          { err, jobId: job.id },
          'cancel message not sent; the worker sees it at its next progress write',
        ),
      );
    await this.cancelChildren(job.id, principal);
    return cancelled;
  }

  private async requeueIfRetried(type: RegisteredJobType, id: string): Promise<void> {
    const now = await this.store
      .em()
      .findOne(type.definition.entity, { id } as FilterQuery<TrackedJob>);
    if (now?.status === JobStatus.QUEUED) await this.enqueue(type, now);
  }

  /** Tells every process that a job ended outside a worker (for live events); best effort. */
  async announceEnd(jobId: string): Promise<void> {
    await this.cancelBus
      .publish({ jobId, cancelledBy: null, reason: null, kind: 'ended' })
      .catch((err) => this.logger.warn({ err, jobId }, 'end announcement not sent'));
  }

  /** A cancelled parent takes its unfinished children (any type) with it. */
  private async cancelChildren(parentId: string, principal: Principal): Promise<void> {
    for (const child of await this.lookup.activeChildren(parentId)) {
      // A child that ended meanwhile answers a conflict: nothing left to cancel.
      await this.cancel(child, principal, 'parent job cancelled').catch(() => undefined);
    }
  }

  /**
   * Puts a FAILED or CANCELLED job back in the queue with a fresh attempt budget; with
   * `rerun`, a COMPLETED one too (its type decides when that makes sense). `reset`: own
   * columns of the type to set in the same guarded write.
   */
  async retry(
    found: FoundJob,
    { rerun = false, reset = {} }: { rerun?: boolean; reset?: Record<string, unknown> } = {},
  ): Promise<TrackedJob> {
    const { type, job } = found;
    const transition = rerun ? 'rerun' : 'retry';
    const retryable: readonly JobStatus[] = TRANSITIONS[transition].from;
    if (!retryable.includes(job.status)) throw await this.conflict(found, 'retried');
    const state = await type.queue.getJobState(job.queueJobId ?? job.id).catch((err: Error) => {
      throw new DomainError(
        'UNAVAILABLE',
        `the queue is unreachable; retry later (${err.message})`,
      );
    });
    if (state === 'active') {
      throw new DomainError('CONFLICT', `job ${job.id} is still stopping; retry it in a moment`, {
        jobStatus: job.status,
      });
    }
    // The guarded update decides which of two concurrent retries wins; only the winner
    // touches the queue. `attempts` keeps counting (it is the fencing token): the budget grows.
    const queued = await this.store
      .transition(type.definition.entity, job.id, transition, {
        ...reset,
        maxAttempts: new SqlRaw(
          `attempts + ${Math.max(1, Math.floor(type.definition.maxAttempts))}`,
        ),
        lockToken: null,
        startedAt: null,
        completedAt: null,
        progress: 0,
        progressMessage: null,
        errorMessage: null,
        errorDetails: null,
        result: null,
        cancelledBy: null,
        cancelReason: null,
        queueJobId: job.id,
      })
      .catch(async (err: unknown) => {
        // A key unique among active rows (uniqueWhileActive) that a newer job holds now.
        if (err instanceof UniqueConstraintViolationException) throw await this.keyHeld(found);
        throw err;
      });
    if (!queued) throw await this.conflict(found, 'retried');
    // The finished BullMQ job of the last run, if still kept, would make re-adding the id a no-op.
    await removeFromQueue(found);
    await this.enqueue(type, queued); // if Redis fails here, orphan rescue enqueues the QUEUED row
    return queued;
  }

  /** 409 naming the active job that holds `found`'s unique key, which a retry would clash with. */
  private async keyHeld({ type, job }: FoundJob): Promise<DomainError> {
    const key = Object.fromEntries(
      (type.definition.uniqueKey ?? []).map((k) => [
        k,
        (job as unknown as Record<string, unknown>)[k],
      ]),
    );
    const holder = await this.store.em().findOne(type.definition.entity, {
      ...key,
      id: { $ne: job.id },
      status: { $in: ACTIVE_STATUSES },
    } as FilterQuery<TrackedJob>);
    const what = Object.values(key).join(' · ');
    return new DomainError(
      'CONFLICT',
      holder
        ? `${type.definition.type} job ${holder.id} (${what}) is active: job ${job.id} can run again once it has ended`
        : `another active ${type.definition.type} job holds the key of job ${job.id}: retry it once that one has ended`,
      { jobStatus: job.status, ...(holder ? { jobId: holder.id } : {}) },
    );
  }

  /** 409 naming the job's status now (it may have moved since it was loaded). */
  private async conflict({ type, job }: FoundJob, action: string): Promise<DomainError> {
    const current = await this.store
      .em()
      .findOne(type.definition.entity, { id: job.id } as FilterQuery<TrackedJob>);
    const status = current?.status ?? job.status;
    const state = status === JobStatus.PROCESSING ? 'running' : status.toLowerCase();
    return new DomainError(
      'CONFLICT',
      `a ${state} ${type.definition.type} job cannot be ${action}`,
      { jobStatus: status },
    );
  }
}

/** Removes a row's BullMQ job (under its queue job id and its row id); best effort. */
async function removeFromQueue({ type, job }: FoundJob): Promise<void> {
  const ids = new Set([job.queueJobId ?? job.id, job.id]);
  await Promise.all([...ids].map((id) => type.queue.remove(id).catch(() => 0)));
}
