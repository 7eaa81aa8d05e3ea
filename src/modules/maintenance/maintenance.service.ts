import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { AttemptOutcome } from '../../common/tracking/job-attempt.entity';
import { JobOperations } from '../../common/tracking/job-operations';
import { JobStatus, TERMINAL_STATUSES } from '../../common/tracking/job-status';
import { NOW, placeholders } from '../../common/tracking/tracking-store';
import { AppConfig } from '../../config/app-config';

const BATCH = 200;
/** Queue states in which the BullMQ job will still run (or is running). */
const ALIVE = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children', 'active']);

export interface RetentionReport {
  deleted: number;
}

/**
 * The housekeeping every replica may run at once: each batch claims its rows with
 * FOR UPDATE SKIP LOCKED, and enqueueing is idempotent (job id = row id).
 */
@Injectable()
export class MaintenanceService {
  private readonly logger: Logger;

  constructor(
    private readonly ops: JobOperations,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: MaintenanceService.name });
  }

  /** Outbox: PENDING rows left behind while Redis was down are handed to the queue. */
  async dispatchPending(): Promise<number> {
    const grace = this.config.env.ENQUEUE_TIMEOUT_MS * 2;
    let dispatched = 0;
    for (const type of this.ops.registry.all()) {
      let redisDown = false;
      await this.ops.store.claimBatch(
        type.definition.entity,
        [JobStatus.PENDING],
        grace,
        BATCH,
        async (job, em) => {
          if (redisDown || !(await this.ops.enqueue(type, job))) {
            redisDown = true; // leave the rest of the batch for the next run
            return;
          }
          if (
            await this.ops.store.transition(type.definition.entity, job.id, 'enqueue', {}, { em })
          )
            dispatched++;
        },
      );
    }
    if (dispatched) this.logger.info({ dispatched }, 'outbox: pending jobs enqueued');
    return dispatched;
  }

  /**
   * Orphan rescue: rows the queue no longer holds (Redis lost them, or BullMQ ended them
   * behind the row's back) are re-enqueued while attempts remain, else failed with a reason.
   */
  async rescueOrphans(): Promise<{ requeued: number; failed: number }> {
    const counts = { requeued: 0, failed: 0 };
    const statuses = [JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.RETRYING];
    for (const type of this.ops.registry.all()) {
      const { entity } = type.definition;
      await this.ops.store.claimBatch(
        entity,
        statuses,
        this.config.env.MAINTENANCE_GRACE_MS,
        BATCH,
        async (job, em) => {
          const state = await type.queue.getJobState(job.id);
          if (ALIVE.has(state)) return;
          if (state !== 'unknown') await type.queue.remove(job.id);
          const why =
            state === 'unknown' ? 'its queue job is gone' : `its queue job ended as ${state}`;
          await this.ops.store.closeRunningAttempts(
            em,
            job.id,
            AttemptOutcome.LOST,
            'OrphanedJob',
            why,
          );
          if (job.attempts < job.maxAttempts) {
            const requeued = await this.ops.store.transition(
              entity,
              job.id,
              'rescue',
              { progressMessage: `rescued: ${why}` },
              { em },
            );
            if (requeued && (await this.ops.enqueue(type, requeued))) counts.requeued++;
          } else {
            const failed = await this.ops.store.update(
              entity,
              job.id,
              {
                status: JobStatus.FAILED,
                completedAt: NOW,
                errorMessage: `orphaned with no attempts left: ${why}`,
              },
              statuses,
              { em },
            );
            if (failed) counts.failed++;
          }
          this.logger.warn(
            { jobId: job.id, jobType: type.definition.type, tenantId: job.tenantId, state },
            `orphan rescue: ${why}`,
          );
        },
      );
    }
    return counts;
  }

  /**
   * Retention: terminal rows older than RETENTION_DAYS are deleted in batches with their
   * attempts, then their files. Non-terminal rows are never touched, whatever their age.
   */
  async applyRetention(now = new Date()): Promise<RetentionReport> {
    const cutoff = new Date(now.getTime() - this.config.env.RETENTION_DAYS * 86_400_000);
    let deleted = 0;
    for (const type of this.ops.registry.all()) {
      const { entity } = type.definition;
      const table = this.ops.store.table(entity);
      for (;;) {
        const em = this.ops.store.em();
        const rows = await em.transactional(async (tx) => {
          const gone = await tx.execute<Record<string, unknown>[]>(
            `DELETE FROM ${table} WHERE id IN (
               SELECT id FROM ${table}
                WHERE status IN (${placeholders(TERMINAL_STATUSES)}) AND coalesce(completed_at, updated_at) < ?
                LIMIT ? FOR UPDATE SKIP LOCKED)
             RETURNING *`,
            [...TERMINAL_STATUSES, cutoff, BATCH],
            'all',
          );
          if (gone.length) {
            const ids = gone.map((r) => r.id);
            await tx.execute(
              `DELETE FROM job_attempts WHERE job_id IN (${placeholders(ids)})`,
              ids,
            );
          }
          return gone.map((r) => tx.map(entity, r as never));
        });
        if (rows.length) await type.afterDelete?.(rows);
        deleted += rows.length;
        if (rows.length < BATCH) break;
      }
    }
    if (deleted) this.logger.info({ deleted, cutoff }, 'retention: old jobs deleted');
    return { deleted };
  }
}
