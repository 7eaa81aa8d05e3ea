import { FilterQuery } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { TRACKED_JOBS_VIEW } from '../../database/tracked-jobs-view';
import { isAdmin, Principal } from '../auth/principal';
import { DomainError } from '../http/domain-error';
import { ACTIVE_STATUSES, isTerminal, JobStatus } from './job-status';
import { JobTypeRegistry, RegisteredJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';
import { TrackingStore } from './tracking-store';

/** How a job's children stand (any type), for a parent waiting on them. */
export interface ChildrenSummary {
  total: number;
  byStatus: Partial<Record<JobStatus, number>>;
  /** True when every child has ended (or there are none). */
  settled: boolean;
}

export interface FoundJob {
  type: RegisteredJobType;
  job: TrackedJob;
}

/**
 * Reads across every job type, each one query on the `tracked_jobs` view (a `UNION ALL`
 * of every tracking table): which type a job is, a parent's children.
 */
@Injectable()
export class JobLookup {
  constructor(
    private readonly store: TrackingStore,
    private readonly registry: JobTypeRegistry,
  ) {}

  /**
   * Finds a job of any type by id; another tenant's job is "not found". One query on the
   * view says which type (and checks the tenant), then the row is read from its table.
   */
  async find(id: string, principal: Principal): Promise<FoundJob> {
    const type = await this.locate(id, principal);
    const job = await this.store
      .em()
      .findOne(type.definition.entity, { id } as FilterQuery<TrackedJob>);
    if (!job) throw DomainError.notFound('job', id); // deleted since (retention)
    return { type, job };
  }

  /** The type of a job the caller may see. */
  async locate(id: string, principal: Principal): Promise<RegisteredJobType> {
    if (!isUuid(id)) throw DomainError.notFound('job', id);
    const params: unknown[] = [id.toLowerCase()];
    let scope = '';
    if (!isAdmin(principal)) {
      if (principal.tenant === null) scope = ' AND tenant_id IS NULL';
      else {
        scope = ' AND tenant_id = ?';
        params.push(principal.tenant);
      }
    }
    const rows = await this.query<{ type: string }>(
      `SELECT type FROM ${TRACKED_JOBS_VIEW} WHERE id = ?${scope} AND %TYPES% LIMIT 1`,
      params,
    );
    const type = rows[0] && this.registry.get(rows[0].type);
    if (!type) throw DomainError.notFound('job', id);
    return type;
  }

  /** Counts the children of a job (of any type). */
  async children(parentId: string): Promise<ChildrenSummary> {
    const byStatus: Partial<Record<JobStatus, number>> = {};
    let total = 0;
    const rows = await this.query<{ status: JobStatus; n: number }>(
      `SELECT status, count(*)::int AS n FROM ${TRACKED_JOBS_VIEW} WHERE parent_id = ? AND %TYPES% GROUP BY status`,
      [parentId],
    );
    for (const { status, n } of rows) {
      byStatus[status] = n;
      total += n;
    }
    const settled = Object.entries(byStatus).every(
      ([status, n]) => !n || isTerminal(status as JobStatus),
    );
    return { total, byStatus, settled };
  }

  /** A parent's children that have not ended, each read from its type's table. */
  async activeChildren(parentId: string): Promise<FoundJob[]> {
    const active = ACTIVE_STATUSES.map(() => '?').join(', ');
    const found = await this.query<{ type: string; id: string }>(
      `SELECT type, id FROM ${TRACKED_JOBS_VIEW} WHERE parent_id = ? AND status IN (${active}) AND %TYPES%`,
      [parentId, ...ACTIVE_STATUSES],
    );
    const em = this.store.em();
    const children: FoundJob[] = [];
    for (const type of this.registry.all()) {
      const ids = found.filter((c) => c.type === type.definition.type).map((c) => c.id);
      if (!ids.length) continue;
      const rows = await em.find(type.definition.entity, {
        id: { $in: ids },
        status: { $in: [...ACTIVE_STATUSES] },
      } as FilterQuery<TrackedJob>);
      children.push(...rows.map((job) => ({ type, job })));
    }
    return children;
  }

  /** Runs `sql` with `%TYPES%` as `type IN (…)` over the registered types (the view may list others). */
  private async query<R>(sql: string, params: unknown[]): Promise<R[]> {
    const types = this.registry.all().map((t) => t.definition.type);
    if (!types.length) return [];
    const typeIn = `type IN (${types.map(() => '?').join(', ')})`;
    return this.store.em().execute<R[]>(sql.replace('%TYPES%', typeIn), [...params, ...types]);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
