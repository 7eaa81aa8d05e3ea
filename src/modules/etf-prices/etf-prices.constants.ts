import { JobTypeDefinition } from '../../common/tracking/job-type';
import { EtfUpdate } from './etf-update.entity';

/** One ETF's prices over a range (daily, backfill or repair). */
export const ETF_UPDATE: JobTypeDefinition<EtfUpdate> = {
  type: 'etf-update',
  queue: 'etf-updates',
  entity: EtfUpdate,
  // One active update per ETF, type and range: starting it again returns the active one.
  uniqueKey: ['etfId', 'updateType', 'startDate', 'endDate'],
  uniqueWhileActive: true,
  summaryFields: ['etfId', 'updateType', 'startDate', 'endDate'],
  // A bad source (5xx, HTML, truncated, timeout) is retried with the backoff, then fails.
  maxAttempts: 5,
  hardTimeLimitMs: 10 * 60_000,
  concurrency: 4,
};

/** The injection token of the PricesSource the processor reads. */
export const PRICES_SOURCE = Symbol('PricesSource');

/** The longest range one update may cover (30 years). */
export const MAX_UPDATE_DAYS = 30 * 366;

/**
 * Stored bars read on each side of an update's range, so that a price jump inside the range
 * is judged against the level around it (quality-flags.ts).
 */
export const NEIGHBOUR_BARS = 30;

/** Symbols: upper-case letters and digits, with `.` or `-` inside (VWCE.DE, BRK-B). */
export const SYMBOL_PATTERN = /^[A-Z0-9](?:[A-Z0-9.-]{0,18}[A-Z0-9])?$/;
