import { Opt } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { v7 as uuidv7 } from 'uuid';

export enum AttemptOutcome {
  RUNNING = 'running',
  COMPLETED = 'completed',
  /** Failed; another attempt follows. */
  RETRYING = 'retrying',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
  /** The worker shut down and gave the job back to the queue. */
  HANDED_BACK = 'handed_back',
  /** The worker died (or lost its lock) during the attempt. */
  LOST = 'lost',
}

/** One row per attempt of any job, kept for the job's whole life. */
@Entity({ tableName: 'job_attempts' })
@Unique({ properties: ['jobId', 'attempt'] })
export class JobAttempt {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = uuidv7();

  @Property({ type: 'uuid' })
  jobId: string;

  @Property({ type: 'text' })
  jobType: string;

  /** 1, 2, 3 ... over the job's life (explicit retries continue the count). */
  @Property({ type: 'integer' })
  attempt: number;

  @Property({ type: 'text' })
  workerHost: string;

  @Property({ type: 'integer' })
  workerPid: number;

  @Property({ columnType: 'timestamptz' })
  startedAt: Date;

  @Property({ columnType: 'timestamptz', nullable: true })
  finishedAt: Date | null = null;

  @Enum({ items: () => AttemptOutcome })
  outcome: AttemptOutcome & Opt = AttemptOutcome.RUNNING;

  @Property({ type: 'text', nullable: true })
  errorClass: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  constructor(
    jobId: string,
    jobType: string,
    attempt: number,
    workerHost: string,
    workerPid: number,
  ) {
    this.jobId = jobId;
    this.jobType = jobType;
    this.attempt = attempt;
    this.workerHost = workerHost;
    this.workerPid = workerPid;
    this.startedAt = new Date();
  }
}
