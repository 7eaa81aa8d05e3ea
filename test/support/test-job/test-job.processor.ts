import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobContext } from '../../../src/common/tracking/job-context';
import { NonRetryableError } from '../../../src/common/tracking/job-errors';
import { JobProcessor } from '../../../src/common/tracking/job-type';
import { TrackingStore } from '../../../src/common/tracking/tracking-store';
import { TestJob } from './test-job.entity';
import { TestJobService } from './test-job.service';

@Injectable()
export class TestJobProcessor implements JobProcessor<TestJob> {
  /** Files "owned" by deleted rows, recorded so retention's hook is observable. */
  readonly deletedByRetention: string[] = [];

  constructor(
    private readonly store: TrackingStore,
    private readonly children: TestJobService,
  ) {}

  async afterDelete(jobs: TestJob[]): Promise<void> {
    this.deletedByRetention.push(...jobs.map((j) => j.id));
  }

  async run(job: TestJob, ctx: JobContext<TestJob>) {
    if (job.script.noop) return undefined;
    const em = this.store.em();
    const [{ runs }] = await em.execute<{ runs: number }[]>(
      'UPDATE test_jobs SET runs = runs + 1 WHERE id = ? RETURNING runs',
      [job.id],
      'all',
    );
    const { script } = job;
    const steps = script.steps ?? 0;
    for (let i = 1; i <= steps; i++) {
      if (script.stepMs !== 0) await sleep(script.stepMs ?? 10, undefined, { signal: ctx.signal });
      const message = script.stampProgress
        ? String(performance.timeOrigin + performance.now())
        : `step ${i} of ${steps}`;
      await ctx.progress((i / steps) * 100, message, { done: i, total: steps });
    }
    if (script.children) {
      const owner = { sub: job.createdBy ?? 'system', tenant: job.tenantId, roles: [] };
      for (let i = 0; i < script.children; i++) {
        // The domain key makes a re-run of the parent find its children instead of duplicating them.
        await this.children.createAndEnqueue(
          { script: script.childScript ?? {}, domainKey: `${job.id}/${i}` },
          owner,
          { parent: ctx.parent },
        );
      }
      return { children: await ctx.waitForChildren() };
    }
    if (script.untilAborted) {
      await new Promise<void>((resolve) => {
        if (!script.ignoreSignal)
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      ctx.signal.throwIfAborted();
    }
    if (script.throwUndefined) throw undefined;
    if (script.unstorableResult) return { text: 'a\u0000b' };
    if (script.nonRetryable)
      throw new NonRetryableError('planned permanent failure', { reason: 'test' });
    if (ctx.attempt <= (script.failTimes ?? 0))
      throw new Error(`planned failure on attempt ${ctx.attempt}`);
    return { runs, attempt: ctx.attempt };
  }
}
