import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DailySources, type ChildrenOutcome } from '../../common/daily/daily-source';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { JobProcessor } from '../../common/tracking/job-type';
import { CHILD_POLL_MS } from './daily-updates.constants';
import type { DailyUpdate, StoredSlotState } from './daily-update.entity';

/**
 * One slot: a closed day completes as `no_data` with the holiday's name, without a fetch.
 * Otherwise the source starts the day's domain jobs as children (kept on the row, so a
 * retried attempt waits for the same ones instead of starting them twice), and the slot
 * completes only when every child has ended: `done` when each found the day's data,
 * `partial` when some did, `failed` when none did (the row then fails, and can be run again).
 */
@Injectable()
export class DailyUpdateProcessor implements JobProcessor<DailyUpdate> {
  constructor(private readonly sources: DailySources) {}

  async run(job: DailyUpdate, ctx: JobContext<DailyUpdate>) {
    const source = await this.sources.get(job.updateType);
    if (!source) {
      throw new NonRetryableError(
        `no daily source "${job.updateType}" is registered (an exchange without active ETFs, or a legacy type)`,
      );
    }
    const day = await source.day(job.updateDate);
    if (!day.open) {
      await ctx.save({ state: 'no_data', dataFound: false, notes: `closed: ${day.name}` });
      return { state: 'no_data', closed: day.name };
    }
    let children = job.childJobs;
    if (!children) {
      await ctx.save({ state: 'running' });
      // A re-run (an operator's, or a later attempt of one) starts children that gave up anew.
      children = await source.startChildren(job.updateDate, ctx.parent, job.attempts > 1);
      await ctx.save({ childJobs: children, childrenTotal: children.length });
    }
    let outcome: ChildrenOutcome;
    for (;;) {
      outcome = withVanished(await source.outcome(job.updateDate, children), children.length);
      await ctx.save({
        childrenTotal: outcome.total,
        childrenCompleted: outcome.completed,
        childrenFailed: outcome.failed,
      });
      if (outcome.ended) break;
      await ctx.progress(
        Math.round((100 * (outcome.completed + outcome.failed)) / Math.max(1, outcome.total)),
        `${outcome.completed + outcome.failed} of ${outcome.total} children ended`,
      );
      await sleep(CHILD_POLL_MS, undefined, { signal: ctx.signal });
    }
    // No child found the data (none at all included): `failed`, never a `done` without data.
    const state: StoredSlotState =
      outcome.completed === 0 ? 'failed' : outcome.failed === 0 ? 'done' : 'partial';
    const notes = outcome.notes ?? (state === 'failed' ? 'no child found the day’s data' : null);
    await ctx.save({ state, dataFound: outcome.completed > 0, notes });
    if (state === 'failed')
      throw new NonRetryableError(`${job.updateType} ${job.updateDate}: ${notes}`);
    return { state, children: outcome.total, completed: outcome.completed, failed: outcome.failed };
  }
}

/**
 * A child the source no longer finds (its row was deleted) has ended without the day's data:
 * it counts as failed, so that the slot neither waits for it nor reads as `done` without it.
 */
function withVanished(outcome: ChildrenOutcome, started: number): ChildrenOutcome {
  const vanished = started - outcome.total;
  if (vanished <= 0) return outcome;
  const note = `${vanished} of ${started} children no longer exist (deleted)`;
  return {
    ...outcome,
    total: started,
    failed: outcome.failed + vanished,
    notes: outcome.notes ? `${outcome.notes}; ${note}` : note,
  };
}
