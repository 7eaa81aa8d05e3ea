import { JobTypeDefinition } from '../../common/tracking/job-type';
import { DailyUpdate } from './daily-update.entity';

/** One slot: a day's work of one source, the parent of the domain jobs it starts. */
export const DAILY_UPDATE: JobTypeDefinition<DailyUpdate> = {
  type: 'daily-update',
  queue: 'daily-updates',
  entity: DailyUpdate,
  uniqueKey: ['updateDate', 'updateType'],
  summaryFields: ['updateDate', 'updateType'],
  maxAttempts: 3,
  // A slot waits for its children, which retry on their own (the ECB polls for about 45 min).
  hardTimeLimitMs: 6 * 3600_000,
  softTimeLimitMs: 3 * 3600_000,
  concurrency: 8,
};

/** How often a running slot reads its children. */
export const CHILD_POLL_MS = 500;
