import { Injectable } from '@nestjs/common';
import { isAdmin, Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/http/domain-error';
import { ACTIVE_STATUSES, JobPriority, JobStatus } from '../../common/tracking/job-status';
import { JobTypeRegistry, RegisteredJobType } from '../../common/tracking/job-type.registry';
import { TrackingStore } from '../../common/tracking/tracking-store';

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

const COLUMNS = `id, status, priority, tenant_id, created_by, progress, progress_message,
  error_message, attempts, max_attempts, created_at, started_at, completed_at, parent_id`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads across every tracking table: one `UNION ALL` branch per registered job type, built
 * from the registry, so a new type is searchable the moment it registers (no view to
 * migrate). Filters are repeated inside every branch, so each table's own indexes serve them.
 */
@Injectable()
export class JobSearchService {
  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly store: TrackingStore,
  ) {}

  async search(principal: Principal, filters: JobFilters) {
    const types = this.typesFor(filters.type);
    const order = filters.sort === 'created_at' ? 'ASC' : 'DESC';
    const listParams: unknown[] = [];
    const countParams: unknown[] = [];
    // Each branch is cut to offset + limit rows in index order before the merge.
    const window = filters.offset + filters.limit;
    const branches = types.map((t) => {
      const where = this.where(t, principal, filters, listParams);
      return `(SELECT ${COLUMNS}, ${this.summary(t)} AS summary, '${t.definition.type}'::text AS type
        FROM ${this.store.table(t.definition.entity)} WHERE ${where}
        ORDER BY created_at ${order}, id ${order} LIMIT ${window})`;
    });
    const counts = types.map((t) => {
      const where = this.where(t, principal, filters, countParams);
      return `(SELECT count(*) AS n FROM ${this.store.table(t.definition.entity)} WHERE ${where})`;
    });
    if (!types.length) return { items: [], total: 0, limit: filters.limit, offset: filters.offset };
    const em = this.store.em();
    const [rows, totals] = await Promise.all([
      em.execute<Record<string, unknown>[]>(
        `SELECT * FROM (${branches.join(' UNION ALL ')}) jobs ORDER BY created_at ${order}, id ${order}
         LIMIT ${filters.limit} OFFSET ${filters.offset}`,
        listParams,
        'all',
      ),
      em.execute<{ total: string }[]>(
        `SELECT sum(n)::bigint AS total FROM (${counts.join(' UNION ALL ')}) c`,
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
    const params: unknown[] = [];
    const branches = this.registry.all().map((t) => {
      const scope = this.scope(principal, params);
      params.push(since);
      return `(SELECT '${t.definition.type}'::text AS type, status, count(*)::bigint AS n,
          sum(EXTRACT(EPOCH FROM completed_at - started_at)) FILTER (WHERE status = 'COMPLETED' AND started_at IS NOT NULL) AS completed_seconds,
          count(*) FILTER (WHERE status = 'COMPLETED' AND started_at IS NOT NULL AND completed_at IS NOT NULL) AS timed,
          sum(EXTRACT(EPOCH FROM completed_at - started_at)) FILTER (WHERE started_at IS NOT NULL AND completed_at IS NOT NULL) AS seconds
        FROM ${this.store.table(t.definition.entity)}
        WHERE ${scope} AND created_at >= ? GROUP BY status)`;
    });
    const activeBranches = this.registry.all().map((t) => {
      const scope = this.scope(principal, params);
      params.push(...ACTIVE_STATUSES);
      return `(SELECT count(*) AS n FROM ${this.store.table(t.definition.entity)}
        WHERE ${scope} AND status IN (${ACTIVE_STATUSES.map(() => '?').join(', ')}))`;
    });
    const em = this.store.em();
    const rows = branches.length
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
          `${branches.join(' UNION ALL ')} UNION ALL SELECT '__active__', NULL, (SELECT sum(n) FROM (${activeBranches.join(' UNION ALL ')}) a)::bigint, NULL, 0, NULL`,
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

  private where(
    type: RegisteredJobType,
    principal: Principal,
    f: JobFilters,
    params: unknown[],
  ): string {
    const clauses = [this.scope(principal, params)];
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
      const summary = this.summary(type);
      if (summary !== 'NULL::text') {
        matches.push(`${summary} ILIKE ? ESCAPE '\\'`);
        params.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      }
      clauses.push(matches.length ? `(${matches.join(' OR ')})` : 'FALSE');
    }
    return clauses.join(' AND ');
  }

  /** SQL for a type's summary text: its summary fields' columns joined by " · ". */
  private summary(type: RegisteredJobType): string {
    const fields = type.definition.summaryFields ?? [];
    if (!fields.length) return 'NULL::text';
    const meta = this.store.em().getMetadata().get(type.definition.entity);
    const columns = fields.map((f) => `"${meta.properties[f].fieldNames[0]}"::text`);
    return `concat_ws(' · ', ${columns.join(', ')})`;
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
