import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { AttemptOutcome } from '../../common/tracking/job-attempt.entity';
import { JobOperations } from '../../common/tracking/job-operations';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import { JobStatus, TERMINAL_STATUSES } from '../../common/tracking/job-status';
import { NOW, placeholders } from '../../common/tracking/tracking-store';
import { AppConfig } from '../../config/app-config';

const BATCH = 200;
/** Orphan rescue reads at most this many pages of candidates per type and run. */
const MAX_RESCUE_PAGES = 50;
const RESCUABLE = [JobStatus.QUEUED, JobStatus.PROCESSING, JobStatus.RETRYING];

interface OrphanCandidate {
  id: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  tenant_id: string | null;
  queue_job_id: string | null;
  /** updated_at as PostgreSQL prints it (microseconds kept, for the optimistic guard). */
  seen: string;
}
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
   * behind the row's back) are re-enqueued while attempts remain, else failed with a
   * reason. Candidates are read page by page without locks (so healthy rows neither
   * block workers nor hide the orphans behind them); each orphan is then changed only if
   * it has not moved since it was read.
   */
  async rescueOrphans(): Promise<{ requeued: number; failed: number }> {
    const counts = { requeued: 0, failed: 0 };
    for (const type of this.ops.registry.all()) {
      let after = '00000000-0000-0000-0000-000000000000';
      for (let page = 0; page < MAX_RESCUE_PAGES; page++) {
        const rows = await this.ops.store.em().execute<OrphanCandidate[]>(
          `SELECT id, status, attempts, max_attempts, tenant_id, queue_job_id, updated_at::text AS seen
             FROM ${this.ops.store.table(type.definition.entity)}
            WHERE status IN (${placeholders(RESCUABLE)}) AND id > ?
              AND updated_at < now() - (? * interval '1 millisecond')
            ORDER BY id LIMIT ?`,
          [...RESCUABLE, after, this.config.env.MAINTENANCE_GRACE_MS, BATCH],
          'all',
        );
        for (const row of rows) {
          try {
            const outcome = await this.rescueOne(type, row);
            if (outcome) counts[outcome]++;
          } catch (err) {
            this.logger.warn(
              { err, jobId: row.id, jobType: type.definition.type },
              'orphan rescue: row skipped',
            );
          }
        }
        if (rows.length < BATCH) break;
        after = rows[rows.length - 1].id;
      }
    }
    return counts;
  }

  private async rescueOne(
    type: RegisteredJobType,
    row: OrphanCandidate,
  ): Promise<'requeued' | 'failed' | undefined> {
    const queueJobId = row.queue_job_id ?? row.id; // the queue job that holds (or last held) the row
    const state = await type.queue.getJobState(queueJobId);
    if (ALIVE.has(state)) return undefined;
    const { entity } = type.definition;
    const store = this.ops.store;
    const why = state === 'unknown' ? 'its queue job is gone' : `its queue job ended as ${state}`;
    const guard = { unchangedSince: row.seen };
    const retry = row.attempts < row.max_attempts;
    const changed = retry
      ? await store.transition(
          entity,
          row.id,
          'rescue',
          { progressMessage: `rescued: ${why}`, lockToken: null },
          guard,
        )
      : await store.update(
          entity,
          row.id,
          {
            status: JobStatus.FAILED,
            completedAt: NOW,
            errorMessage: `orphaned with no attempts left: ${why}`,
            lockToken: null,
          },
          RESCUABLE,
          guard,
        );
    if (!changed) return undefined; // a worker wrote to it meanwhile: it is alive
    await store.closeRunningAttempts(store.em(), row.id, AttemptOutcome.LOST, 'OrphanedJob', why);
    // Remove what is left of the old queue job, else re-adding the same id is a no-op.
    await Promise.all([...new Set([queueJobId, row.id])].map((jobId) => type.queue.remove(jobId)));
    this.logger.warn(
      { jobId: row.id, jobType: type.definition.type, tenantId: row.tenant_id, state },
      `orphan rescue: ${why}`,
    );
    this.ops.metrics.orphanRescues.inc({
      type: type.definition.type,
      action: retry ? 'requeued' : 'failed',
    });
    if (!retry) this.ops.metrics.failed.inc({ type: type.definition.type });
    if (!retry) {
      await this.ops.announceEnd(row.id); // no worker will report this end: tell the live-progress gateways
      return 'failed';
    }
    return (await this.ops.enqueue(type, changed)) ? 'requeued' : undefined;
  }

  /**
   * Retention: terminal rows older than RETENTION_DAYS are deleted in batches with their
   * attempts, then their files. Non-terminal rows are never touched, whatever their age, nor
   * is the history imported from the old system (rows with a `legacy_ref`): it is all old,
   * and the import is how it is kept (docs/legacy-import.md).
   */
  async applyRetention(now = new Date()): Promise<RetentionReport> {
    const cutoff = new Date(now.getTime() - this.config.env.RETENTION_DAYS * 86_400_000);
    let deleted = 0;
    for (const type of this.ops.registry.all()) {
      const { entity } = type.definition;
      const table = this.ops.store.table(entity);
      const imported = this.ops.store.hasLegacyRef(entity) ? ' AND legacy_ref IS NULL' : '';
      for (;;) {
        const em = this.ops.store.em();
        const rows = await em.transactional(async (tx) => {
          const gone = await tx.execute<Record<string, unknown>[]>(
            `DELETE FROM ${table} WHERE id IN (
               SELECT id FROM ${table}
                WHERE status IN (${placeholders(TERMINAL_STATUSES)}) AND coalesce(completed_at, updated_at) < ?${imported}
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
        if (rows.length) await type.processor?.afterDelete?.(rows);
        deleted += rows.length;
        if (rows.length < BATCH) break;
      }
    }
    if (deleted) this.logger.info({ deleted, cutoff }, 'retention: old jobs deleted');
    return { deleted };
  }
}
