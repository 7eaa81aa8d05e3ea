import {
  FilterQuery,
  RequiredEntityData,
  UniqueConstraintViolationException,
} from '@mikro-orm/core';
import { isAdmin, Principal } from '../auth/principal';
import { DomainError } from '../http/domain-error';
import { ACTIVE_STATUSES, JobPriority, JobStatus } from './job-status';
import { RegisteredJobType, ResolvedJobType } from './job-type.registry';
import { isUuid } from './job-lookup';
import { JobOperations } from './job-operations';
import { TrackedJob } from './tracked-job.entity';

export interface CreateJobOptions {
  priority?: JobPriority;
  maxAttempts?: number;
  /** The job that starts this one (a flow); the parent can wait for its children. */
  parent?: { id: string; type: string };
}

export interface CreatedJob<T> {
  job: T;
  /** False when the unique domain key matched an existing row, which is returned instead. */
  created: boolean;
}

export interface JobPage<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface JobSearch {
  status?: JobStatus[];
  limit?: number;
  offset?: number;
}

/**
 * The producer side of one job type: the only place that creates and enqueues its rows.
 * A feature's service extends it with its own domain operations.
 */
export abstract class TrackingService<T extends TrackedJob> {
  readonly definition: ResolvedJobType<T>;

  /** `type`: what `JobTypeModule.register()` made of the definition (`@InjectJobType(DEF)`). */
  protected constructor(
    protected readonly ops: JobOperations,
    private readonly type: RegisteredJobType<T>,
  ) {
    this.definition = type.definition;
  }

  /**
   * Outbox create: the row is committed as PENDING, then handed to the queue and marked
   * QUEUED. When Redis is down the call still succeeds and the row stays PENDING for the
   * dispatcher. With a unique domain key, a clash returns the existing row.
   */
  async createAndEnqueue(
    data: Omit<RequiredEntityData<T>, 'tenantId' | 'createdBy'>,
    owner: Principal | null,
    options: CreateJobOptions = {},
  ): Promise<CreatedJob<T>> {
    const em = this.ops.store.em();
    const job = em.create(this.definition.entity, {
      ...data,
      tenantId: owner?.tenant ?? null,
      createdBy: owner?.sub ?? null,
      priority: options.priority ?? JobPriority.NORMAL,
      maxAttempts: options.maxAttempts ?? this.definition.maxAttempts,
      parentId: options.parent?.id ?? null,
      parentType: options.parent?.type ?? null,
      status: JobStatus.PENDING,
    } as RequiredEntityData<T>);
    job.queueJobId = job.id;
    for (let tries = 1; ; tries += 1) {
      try {
        await em.insert(job); // one statement, no explicit transaction: committed PENDING
        break;
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException) || !this.definition.uniqueKey) {
          throw err;
        }
        const existing = await this.findByDomainKey(job);
        if (existing) return { job: existing, created: false };
        // The active row that held the key ended in between: the key is free again.
        if (tries >= 3) throw err;
      }
    }
    this.ops.metrics.created.inc({ type: this.definition.type });
    if (await this.ops.enqueue(this.registered(), job)) {
      const queued = await this.ops.store.transition(this.definition.entity, job.id, 'enqueue');
      return { job: queued ?? (await this.reload(job.id)), created: true };
    }
    return { job, created: true };
  }

  /** One row of this type, scoped to the caller's tenant (another tenant's row is "not found"). */
  async findForCaller(id: string, principal: Principal): Promise<T> {
    if (!isUuid(id)) throw DomainError.notFound(this.definition.type, id);
    const job = await this.ops.store.em().findOne(this.definition.entity, {
      id,
      ...this.scope(principal),
    } as FilterQuery<T>);
    if (!job) throw DomainError.notFound(this.definition.type, id);
    return job;
  }

  /** Newest first, within the caller's tenant. */
  async search(principal: Principal, query: JobSearch = {}): Promise<JobPage<T>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    const offset = Math.max(query.offset ?? 0, 0);
    const where = {
      ...this.scope(principal),
      ...(query.status?.length ? { status: { $in: query.status } } : {}),
    } as FilterQuery<T>;
    const [items, total] = await this.ops.store.em().findAndCount(this.definition.entity, where, {
      orderBy: { id: 'desc' } as never,
      limit,
      offset,
    });
    return { items, total, limit, offset };
  }

  async cancel(id: string, principal: Principal, reason: string | null = null): Promise<T> {
    const job = await this.findForCaller(id, principal);
    return (await this.ops.cancel({ type: this.registered(), job }, principal, reason)) as T;
  }

  async retry(id: string, principal: Principal): Promise<T> {
    const job = await this.findForCaller(id, principal);
    return (await this.ops.retry({ type: this.registered(), job })) as T;
  }

  protected scope(principal: Principal): Partial<TrackedJob> {
    return isAdmin(principal) ? {} : { tenantId: principal.tenant };
  }

  private registered(): RegisteredJobType {
    return this.type as unknown as RegisteredJobType;
  }

  private async reload(id: string): Promise<T> {
    return this.ops.store.em().findOneOrFail(this.definition.entity, { id } as FilterQuery<T>);
  }

  /** The row holding `job`'s domain key (an active one for `uniqueWhileActive` types). */
  private async findByDomainKey(job: T): Promise<T | null> {
    const key: Record<string, unknown> = Object.fromEntries(
      this.definition.uniqueKey!.map((k) => [k, job[k]]),
    );
    if (this.definition.uniqueWhileActive) key.status = { $in: ACTIVE_STATUSES };
    return this.ops.store.em().findOne(this.definition.entity, key as FilterQuery<T>);
  }
}
