import type { EntityClass } from '@mikro-orm/core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { isDatabaseUnreachable } from '../util/database-errors';
import { TransitionName, TRANSITIONS } from './job-status';
import { TrackedJob } from './tracked-job.entity';
import { TrackedFields, TrackingStore, WriteOptions } from './tracking-store';

/** How long the end of an attempt is retried while PostgreSQL is unreachable. */
export const CLOSE_RETRY_MS = 30_000;

/**
 * Writes the end of an attempt: one guarded, fenced transition that closes the attempt row
 * in the same statement. While PostgreSQL is unreachable (restarting, failing over) it
 * tries again, 250 ms doubling to 2 s, for up to `retryMs`, so the history says how the
 * attempt ended (`retrying`, not `lost`). Past that the error goes on to BullMQ, which
 * redelivers the job, and the next start closes this attempt as `lost`. Returns the row,
 * or null when it is no longer this attempt's.
 */
export async function recordEnding<T extends TrackedJob>(
  store: TrackingStore,
  entity: EntityClass<T>,
  id: string,
  name: TransitionName,
  set: TrackedFields,
  opts: WriteOptions & { fence: number },
  log: Logger,
  retryMs = CLOSE_RETRY_MS,
  /** True once retrying must stop (the process is shutting down and has a deadline). */
  giveUp: () => boolean = () => false,
): Promise<T | null> {
  const deadline = Date.now() + retryMs;
  let delay = 250;
  for (let tries = 1; ; tries++) {
    try {
      const next = await store.transition(entity, id, name, set, opts);
      if (next || tries === 1) return next;
      // An earlier try may have committed, its reply lost with the connection.
      const now = await store.em().findOne(entity, { id } as never);
      return now?.status === TRANSITIONS[name].to && now.attempts === opts.fence ? now : null;
    } catch (err) {
      if (!isDatabaseUnreachable(err)) throw err;
      const message = (err as Error).message;
      const outcome = opts.closeAttempt?.outcome;
      if (Date.now() + delay > deadline || giveUp()) {
        log.error(
          { err: { message }, outcome },
          'database unreachable: the end of the attempt is not recorded; the queue will redeliver the job',
        );
        throw err;
      }
      if (tries === 1) {
        log.warn(
          { err: { message }, outcome },
          'database unreachable while recording the end of the attempt; retrying',
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}
