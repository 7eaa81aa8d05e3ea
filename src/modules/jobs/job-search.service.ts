import { Injectable } from '@nestjs/common';
import { isAdmin, Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/http/domain-error';
import { ACTIVE_STATUSES, JobPriority, JobStatus } from '../../common/tracking/job-status';
import { JobTypeRegistry, RegisteredJobType } from '../../common/tracking/job-type.registry';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { TRACKED_JOBS_VIEW } from '../../database/tracked-jobs-view';

export interface JobFilters {
  status?: JobStatus[];
  type?: string[];
  priority?: JobPriority[];
  from?: Date;
  to?: Date;
  q?: string;
  /** `-created_at` (newest first, the default) or `created_at`. */
  sort?: '-created_at' | 'created_at';
  limit: number;
  offset: number;
}

export interface JobListItem {
  id: string;
  type: string;
  status: JobStatus;
  priority: JobPriority;
  tenantId: string | null;
  createdBy: string | null;
  /** The type's summary fields joined, e.g. an upload's file name and dataset. */
  summary: string | null;
  progress: number;
  progressMessage: string | null;
  errorMessage: string | null;
  attempts: number;
  maxAttempts: number;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  parentId: string | null;
}

export interface JobStats {
  days: number;
  since: Date;
  total: number;
  byStatus: Record<string, number>;
  byType: Record<string, { total: number; byStatus: Record<string, number> }>;
  /** Mean of completed_at - started_at over COMPLETED jobs, in seconds; null without any. */
  averageDurationSeconds: number | null;
  /** COMPLETED / (COMPLETED + FAILED) among jobs that ended; null when none has. */
  successRate: number | null;
  /** Sum of completed_at - started_at over ended jobs that started, in seconds. */
  totalProcessingSeconds: number;
  /** Jobs active now (PENDING, QUEUED, PROCESSING, RETRYING), whenever created. */
  active: number;
}

const COLUMNS = `type, id, status, priority, tenant_id, created_by, summary, progress, progress_message,
  error_message, attempts, max_attempts, created_at, started_at, completed_at, parent_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads across every tracking table through the `tracked_jobs` view (one `UNION ALL` branch
 * per job type, kept by migrations): each list, count and statistic is one query. The
 * planner pushes the filters into every branch, so each table's own indexes serve them,
 * and drops the branches of types a `type` filter leaves out.
 */
@Injectable()
export class JobSearchService {
  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly store: TrackingStore,
  ) {}

  async search(principal: Principal, filters: JobFilters) {
    const types = this.typesFor(filters.type);
    if (!types.length) return { items: [], total: 0, limit: filters.limit, offset: filters.offset };
    const order = filters.sort === 'created_at' ? 'ASC' : 'DESC';
    const listParams: unknown[] = [];
    const countParams: unknown[] = [];
    const listWhere = this.where(types, principal, filters, listParams);
    const countWhere = this.where(types, principal, filters, countParams);
    const em = this.store.em();
    const [rows, totals] = await Promise.all([
      em.execute<Record<string, unknown>[]>(
        `SELECT ${COLUMNS} FROM ${TRACKED_JOBS_VIEW} WHERE ${listWhere}
         ORDER BY created_at ${order}, id ${order} LIMIT ${filters.limit} OFFSET ${filters.offset}`,
        listParams,
        'all',
      ),
      em.execute<{ total: string }[]>(
        `SELECT count(*)::bigint AS total FROM ${TRACKED_JOBS_VIEW} WHERE ${countWhere}`,
        countParams,
        'all',
      ),
    ]);
    return {
      items: rows.map(toItem),
      total: Number(totals[0]?.total ?? 0),
      limit: filters.limit,
      offset: filters.offset,
    };
  }

  async stats(principal: Principal, days: number): Promise<JobStats> {
    const since = new Date(Date.now() - days * 86_400_000);
    const types = this.registry.all();
    const params: unknown[] = [];
    // One statement, one branch per type over the view: `type = ?` leaves that table's branch
    // only (pruned at planning), aggregated by status in parallel in memory. Grouping the
    // whole view by (type, status) misjudges the number of groups (a view has no
    // statistics): it sorted every row on disk and was slower (docs/benchmarks.md).
    const branches = types.map((t) => {
      params.push(t.definition.type);
      const scope = this.scope(principal, params);
      params.push(t.definition.type, since);
      return `(SELECT ?::text AS type, status, count(*)::bigint AS n,
          sum(EXTRACT(EPOCH FROM completed_at - started_at)) FILTER (WHERE status = 'COMPLETED' AND started_at IS NOT NULL) AS completed_seconds,
          count(*) FILTER (WHERE status = 'COMPLETED' AND started_at IS NOT NULL AND completed_at IS NOT NULL) AS timed,
          sum(EXTRACT(EPOCH FROM completed_at - started_at)) FILTER (WHERE started_at IS NOT NULL AND completed_at IS NOT NULL) AS seconds
        FROM ${TRACKED_JOBS_VIEW} WHERE ${scope} AND type = ? AND created_at >= ? GROUP BY status)`;
    });
    const activeScope = `${this.scope(principal, params)} AND ${this.typeIn(types, params)}`;
    params.push(...ACTIVE_STATUSES);
    const em = this.store.em();
    const rows = types.length
      ? await em.execute<
          {
            type: string;
            status: JobStatus;
            n: string;
            completed_seconds: string | null;
            timed: string;
            seconds: string | null;
          }[]
        >(
          `${branches.join(' UNION ALL ')} UNION ALL SELECT '__active__', NULL, (SELECT count(*) FROM ${TRACKED_JOBS_VIEW}
             WHERE ${activeScope} AND status IN (${ACTIVE_STATUSES.map(() => '?').join(', ')}))::bigint, NULL, 0, NULL`,
          params,
          'all',
        )
      : [];
    const stats: JobStats = {
      days,
      since,
      total: 0,
      byStatus: Object.fromEntries(Object.values(JobStatus).map((s) => [s, 0])),
      byType: {},
      averageDurationSeconds: null,
      successRate: null,
      totalProcessingSeconds: 0,
      active: 0,
    };
    let completedSeconds = 0;
    let timed = 0;
    for (const row of rows) {
      if (row.type === '__active__') {
        stats.active = Number(row.n ?? 0);
        continue;
      }
      const n = Number(row.n);
      stats.total += n;
      stats.byStatus[row.status] += n;
      const type = (stats.byType[row.type] ??= { total: 0, byStatus: {} });
      type.total += n;
      type.byStatus[row.status] = n;
      completedSeconds += Number(row.completed_seconds ?? 0);
      timed += Number(row.timed);
      stats.totalProcessingSeconds += Number(row.seconds ?? 0);
    }
    const ended = stats.byStatus.COMPLETED + stats.byStatus.FAILED;
    stats.successRate = ended ? round(stats.byStatus.COMPLETED / ended, 4) : null;
    stats.averageDurationSeconds = timed ? round(completedSeconds / timed, 3) : null;
    stats.totalProcessingSeconds = round(stats.totalProcessingSeconds, 3);
    return stats;
  }

  private typesFor(names: string[] | undefined): RegisteredJobType[] {
    if (!names?.length) return this.registry.all();
    const known = this.registry.all().map((t) => t.definition.type);
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length) {
      throw new DomainError('INVALID_INPUT', `unknown job type: ${unknown.join(', ')}`, {
        errors: [{ field: 'type', message: `must be one of: ${known.join(', ')}` }],
      });
    }
    return this.registry.all().filter((t) => names.includes(t.definition.type));
  }

  private scope(principal: Principal, params: unknown[]): string {
    if (isAdmin(principal)) return 'TRUE';
    params.push(principal.tenant);
    return 'tenant_id = ?';
  }

  /** The types asked for (all registered ones by default: the view may list others). */
  private typeIn(types: RegisteredJobType[], params: unknown[]): string {
    params.push(...types.map((t) => t.definition.type));
    return `type IN (${types.map(() => '?').join(', ')})`;
  }

  private where(
    types: RegisteredJobType[],
    principal: Principal,
    f: JobFilters,
    params: unknown[],
  ): string {
    const clauses = [this.scope(principal, params), this.typeIn(types, params)];
    const list = (column: string, values: readonly string[] | undefined) => {
      if (!values?.length) return;
      clauses.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    list('status', f.status);
    list('priority', f.priority);
    if (f.from) {
      clauses.push('created_at >= ?');
      params.push(f.from);
    }
    if (f.to) {
      clauses.push('created_at < ?');
      params.push(f.to);
    }
    if (f.q) {
      const matches: string[] = [];
      if (UUID.test(f.q)) {
        matches.push('id = ?');
        params.push(f.q.toLowerCase());
      }
      // A type without summary fields has a NULL summary: its jobs match by id only.
      matches.push(`summary ILIKE ? ESCAPE '\\'`);
      params.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      clauses.push(`(${matches.join(' OR ')})`);
    }
    return clauses.join(' AND ');
  }
}

function toItem(row: Record<string, unknown>): JobListItem {
  return {
    id: row.id as string,
    type: row.type as string,
    status: row.status as JobStatus,
    priority: row.priority as JobPriority,
    tenantId: row.tenant_id as string | null,
    createdBy: row.created_by as string | null,
    summary: row.summary as string | null,
    progress: Number(row.progress),
    progressMessage: row.progress_message as string | null,
    errorMessage: row.error_message as string | null,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    createdAt: row.created_at as Date,
    startedAt: row.started_at as Date | null,
    completedAt: row.completed_at as Date | null,
    parentId: row.parent_id as string | null,
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
