import type { EntityManager } from '@mikro-orm/postgresql';
import type { Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { withTimeout } from '../util/with-timeout';
import {
  ChildrenOutcome,
  JobContext,
  JobProgress,
  OwnFields,
  ProgressCounts,
  QueueProgress,
} from './job-context';
import { AttemptSupersededError } from './job-errors';
import { ChildrenSummary } from './job-lookup';
import { JobStatus } from './job-status';
import { ResolvedJobType } from './job-type.registry';
import { Throttle } from './throttle';
import { TrackedJob } from './tracked-job.entity';
import { SqlClient, TrackingStore } from './tracking-store';

/** How often a parent waiting for its children looks at their rows. */
const CHILD_POLL_MS = 250;
/** How long a progress report waits for Redis before the job goes on without it. */
const PROGRESS_REPORT_WAIT_MS = 2_000;
/** At most one warning per attempt this often about progress reports the queue lost. */
const PROGRESS_WARN_INTERVAL_MS = 30_000;

/** The base's own columns: `ctx.save()` refuses them (the status machine owns them). */
const BASE_FIELDS = new Set(Object.keys(new (TrackedJob as unknown as new () => TrackedJob)()));

export interface AttemptContextDeps {
  store: TrackingStore;
  children(parentId: string): Promise<ChildrenSummary>;
  progressWriteIntervalMs: number;
}

/**
 * The `ctx` of one attempt: progress (queue at once, row throttled), fenced writes of the
 * type's own columns, and waiting for children. `end()` closes it when the attempt ends.
 */
export class AttemptContext<T extends TrackedJob> implements JobContext<T> {
  readonly attempt: number;
  readonly parent: { id: string; type: string };
  private ended = false;
  private readonly rowProgress: Throttle<JobProgress>;
  /** A report Redis has not answered in time: later ones are skipped until it settles. */
  private unanswered?: Promise<void>;
  private lostReports = 0;
  private warnedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly definition: ResolvedJobType<T>,
    private readonly row: T,
    private readonly job: Job,
    readonly signal: AbortSignal,
    readonly logger: Logger,
    private readonly deps: AttemptContextDeps,
    /** Called when a progress write finds the row no longer ours (cancelled elsewhere). */
    private readonly onRowGone: () => Promise<void>,
  ) {
    this.attempt = row.attempts;
    this.parent = { id: row.id, type: definition.type };
    this.rowProgress = new Throttle<JobProgress>(deps.progressWriteIntervalMs, async (p) => {
      const set = { progress: p.progress, progressMessage: p.message };
      const written = await this.deps.store
        .update(definition.entity, row.id, set, [JobStatus.PROCESSING], { fence: this.attempt })
        .catch((err: unknown) => this.logger.warn({ err }, 'progress write failed'));
      if (written === null) await this.onRowGone(); // the throttle catches its errors
    });
  }

  async progress(pct: number, message?: string, counts?: ProgressCounts): Promise<void> {
    this.throwIfOver();
    const p: JobProgress = {
      progress: Math.max(0, Math.min(100, Math.round(pct))),
      message: message ?? null,
      counts,
    };
    const { id, tenantId } = this.row;
    await this.report({ ...p, id, tenantId, attempt: this.attempt });
    await this.rowProgress.push(p);
  }

  async save(fields: OwnFields<T>, options: { em?: EntityManager | SqlClient } = {}) {
    this.throwIfOver();
    const base = Object.keys(fields).filter((k) => BASE_FIELDS.has(k));
    if (base.length) {
      throw new Error(`ctx.save() writes a type's own columns only, not ${base.join(', ')}`);
    }
    const { entity } = this.definition;
    const saved = await this.deps.store.update(
      entity,
      this.row.id,
      fields as Record<string, unknown>,
      [JobStatus.PROCESSING],
      { fence: this.attempt, em: options.em },
    );
    if (!saved) throw new AttemptSupersededError(this.row.id, this.attempt);
  }

  async waitForChildren(): Promise<ChildrenOutcome> {
    for (;;) {
      const children = await this.deps.children(this.row.id);
      if (children.settled) return { total: children.total, byStatus: children.byStatus };
      await sleep(CHILD_POLL_MS, undefined, { signal: this.signal });
    }
  }

  /** The attempt is over: later calls throw; `keepProgress` writes the last progress first. */
  async end(keepProgress: boolean): Promise<void> {
    this.ended = true;
    if (keepProgress) await this.rowProgress.flush();
    else this.rowProgress.cancel();
  }

  private throwIfOver(): void {
    if (this.ended || this.signal.aborted) {
      throw this.signal.reason ?? new Error('this attempt has ended');
    }
  }

  /** To the queue, for live events; a report that fails or hangs never fails the job. */
  private async report(routed: QueueProgress): Promise<void> {
    if (this.unanswered) return this.lost();
    let timedOut = false; // a report that timed out is counted once, not again when it fails
    const sent = this.job
      .updateProgress(routed as unknown as object)
      .then(undefined, (err: unknown) => (timedOut ? undefined : this.lost(err)));
    const settled = await withTimeout(
      sent.then(() => true),
      PROGRESS_REPORT_WAIT_MS,
      () => false,
    );
    if (!settled) {
      timedOut = true;
      this.lost(new Error(`Redis did not answer in ${PROGRESS_REPORT_WAIT_MS} ms`));
      this.unanswered = sent.then(() => {
        this.unanswered = undefined;
      });
    }
  }

  /** Counts a lost report; warns at most once per interval with how many were lost since. */
  private lost(err?: unknown): void {
    this.lostReports++;
    const now = Date.now();
    if (err === undefined || now - this.warnedAt < PROGRESS_WARN_INTERVAL_MS) return;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      { err: { message }, lostReports: this.lostReports },
      'progress report to the queue failed; the job goes on',
    );
    this.warnedAt = now;
    this.lostReports = 0;
  }
}
