import { Opt } from '@mikro-orm/core';
import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TrackedJob } from '../../../src/common/tracking/tracked-job.entity';

/** What a test job does when it runs. */
export interface TestScript {
  /** Do nothing at all (benchmarks of the tracking overhead). */
  noop?: boolean;
  /** Fail the first N attempts with a retryable error. */
  failTimes?: number;
  /** Fail with a NonRetryableError. */
  nonRetryable?: boolean;
  /** Put the wall-clock time (ms, sub-ms precision) in each progress message (latency benchmark). */
  stampProgress?: boolean;
  /** Report progress in this many steps of `stepMs` each. */
  steps?: number;
  stepMs?: number;
  /** Run until the signal aborts (cancel, time limit, shutdown). */
  untilAborted?: boolean;
  /** Start this many child test jobs (running `childScript`) and wait for them. */
  children?: number;
  childScript?: TestScript;
  /** With untilAborted: ignore the signal (a job that never checks it). */
  ignoreSignal?: boolean;
  /** Return a result PostgreSQL cannot store (a NUL byte in a JSON string). */
  unstorableResult?: boolean;
  /** `throw undefined` (a rejection without a reason). */
  throwUndefined?: boolean;
}

/** The job type the tracking base is proven with; not shipped. */
@Entity({ tableName: 'test_jobs' })
@Unique({ properties: ['domainKey'] })
export class TestJob extends TrackedJob {
  /** Optional unique domain key (idempotent create). */
  @Property({ type: 'text', nullable: true })
  domainKey: (string & Opt) | null = null;

  @Property({ type: 'jsonb' })
  script: TestScript & Opt = {};

  /** Incremented by every execution of run(): proves how often the work really ran. */
  @Property({ type: 'integer', default: 0 })
  runs: number & Opt = 0;
}
