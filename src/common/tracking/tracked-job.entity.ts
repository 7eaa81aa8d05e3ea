import { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { v7 as uuidv7 } from 'uuid';
import { JobPriority, JobStatus } from './job-status';

/**
 * The tracking row every job type extends (DESIGN.md "Base entity"). The row in
 * PostgreSQL is the truth; the BullMQ job (same id) is only the transport.
 */
@Entity({ abstract: true })
@Index({ properties: ['status'] })
@Index({ properties: ['createdAt', 'completedAt'] })
@Index({ properties: ['queueJobId'] })
@Index({ properties: ['tenantId', 'status'] })
export abstract class TrackedJob {
  /** UUID v7: time-ordered, and the BullMQ job id. */
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = uuidv7();

  @Enum({ items: () => JobStatus })
  status: JobStatus & Opt = JobStatus.PENDING;

  @Enum({ items: () => JobPriority })
  priority: JobPriority & Opt = JobPriority.NORMAL;

  /** Owner; null for system jobs (reference data). */
  @Property({ type: 'text', nullable: true })
  tenantId: (string & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  createdBy: (string & Opt) | null = null;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();

  @Property({ columnType: 'timestamptz', nullable: true })
  startedAt: (Date & Opt) | null = null;

  @Property({ columnType: 'timestamptz', nullable: true })
  completedAt: (Date & Opt) | null = null;

  /**
   * Attempts started over the row's whole life. Never decreases: it numbers the attempts
   * and is the fencing token of the running one (its writes carry `attempts = n`).
   */
  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  /** Attempts allowed; a retry or a hand-back raises it rather than resetting `attempts`. */
  @Property({ type: 'integer', default: 3 })
  maxAttempts: number & Opt = 3;

  /** BullMQ lock token of the attempt in progress: a new token on the same queue job is a takeover. */
  @Property({ type: 'text', nullable: true, hidden: true })
  lockToken: (string & Opt) | null = null;

  /** The BullMQ job id (the old system's celery_task_id). */
  @Property({ type: 'text', nullable: true })
  queueJobId: (string & Opt) | null = null;

  @Property({ type: 'smallint', default: 0 })
  progress: number & Opt = 0;

  @Property({ type: 'text', nullable: true })
  progressMessage: (string & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: (string & Opt) | null = null;

  /** Error class, cause, stack (never sent to clients) and domain summaries. */
  @Property({ type: 'jsonb', nullable: true })
  errorDetails: (Record<string, unknown> & Opt) | null = null;

  /** Summary written on completion (and on cancellation: what was done). */
  @Property({ type: 'jsonb', nullable: true })
  result: (Record<string, unknown> & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  cancelledBy: (string & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  cancelReason: (string & Opt) | null = null;

  /** Parent job of a flow (e.g. the daily update that started this job). */
  @Property({ type: 'uuid', nullable: true, index: true })
  parentId: (string & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  parentType: (string & Opt) | null = null;
}
