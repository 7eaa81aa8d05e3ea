import { JobTypeDefinition } from '../../common/tracking/job-type';
import { ExchangeRateBackfill } from './exchange-rate-backfill.entity';
import { ExchangeRateUpdate } from './exchange-rate-update.entity';

/** One day's ECB rates (one row per update date and base currency). */
export const EXCHANGE_RATE_UPDATE: JobTypeDefinition<ExchangeRateUpdate> = {
  type: 'exchange-rate-update',
  queue: 'exchange-rates',
  entity: ExchangeRateUpdate,
  uniqueKey: ['updateDate', 'baseCurrency'],
  summaryFields: ['updateDate', 'baseCurrency'],
  // "Not published yet" is retried with the backoff: 10 attempts poll for about 45 minutes
  // (BACKOFF_BASE_MS 5 s doubling, at most BACKOFF_MAX_MS 10 min between two).
  maxAttempts: 10,
  hardTimeLimitMs: 5 * 60_000,
};

/** A range of days from one download of the 90-day or the history file. */
export const EXCHANGE_RATE_BACKFILL: JobTypeDefinition<ExchangeRateBackfill> = {
  type: 'exchange-rate-backfill',
  queue: 'exchange-rate-backfills',
  entity: ExchangeRateBackfill,
  summaryFields: ['fromDate', 'toDate'],
  maxAttempts: 5,
  hardTimeLimitMs: 15 * 60_000,
};

/** The base of every rate the ECB publishes. */
export const ECB_BASE = 'EUR';

/** The injection token of the RatesSource the processors read. */
export const RATES_SOURCE = Symbol('RatesSource');

/** The longest range one request may load (30 years). */
export const MAX_RANGE_DAYS = 30 * 366;
