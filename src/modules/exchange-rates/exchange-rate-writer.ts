import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../database/execute-bound';
import { currencyStatus } from './currency-life';
import type { EcbDay } from './ecb-format';
import { ECB_BASE } from './exchange-rates.constants';
import { isTargetClosed, type IsoDate } from './target-calendar';

/** What an upsert did: rows written new, changed, or found equal by value. */
export interface WriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Rates per statement; all in the caller's transaction. */
const BATCH = 5_000;

/**
 * Upserts EUR→quote rates, exactly as published (the string goes into numeric), on the
 * natural key. A rate equal by value ('0.85620' and '0.8562') is left as stored: unchanged.
 * Run it inside the transaction that also saves the tracking row (`em` must hold it).
 */
export async function upsertRates(
  em: EntityManager,
  days: readonly EcbDay[],
  source: string,
): Promise<WriteCounts> {
  const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  let dates: string[] = [];
  let quotes: string[] = [];
  let rates: string[] = [];
  const flush = async () => {
    if (!dates.length) return;
    const [result] = await executeBound<{ inserted: string; updated: string }>(
      em,
      `WITH written AS (
         INSERT INTO exchange_rates (rate_date, base, quote, rate, source, updated_at)
         SELECT t.rate_date, $4, t.quote, t.rate, $5, now()
         FROM unnest($1::date[], $2::text[], $3::numeric[]) AS t(rate_date, quote, rate)
         ON CONFLICT (rate_date, base, quote) DO UPDATE
           SET rate = EXCLUDED.rate, source = EXCLUDED.source, updated_at = now()
           WHERE exchange_rates.rate <> EXCLUDED.rate
         RETURNING (xmax = 0) AS inserted
       )
       SELECT count(*) FILTER (WHERE inserted) AS inserted,
              count(*) FILTER (WHERE NOT inserted) AS updated
       FROM written`,
      [dates, quotes, rates, ECB_BASE, source],
    );
    const inserted = Number(result.inserted);
    const updated = Number(result.updated);
    counts.inserted += inserted;
    counts.updated += updated;
    counts.unchanged += dates.length - inserted - updated;
    dates = [];
    quotes = [];
    rates = [];
  };
  for (const day of days) {
    for (const [quote, rate] of Object.entries(day.rates)) {
      dates.push(day.date);
      quotes.push(quote);
      rates.push(rate);
      if (dates.length >= BATCH) await flush();
    }
  }
  await flush();
  return counts;
}

/** "closed: Good Friday (TARGET holiday)", "closed: weekend"; null on a TARGET day. */
export function closedNote(date: IsoDate): string | null {
  const day = isTargetClosed(date);
  if (!day.closed) return null;
  return day.reason === 'weekend' ? 'closed: weekend' : `closed: ${day.name} (TARGET holiday)`;
}

/** What a day's rates come to, for its tracking row. */
export interface DayOutcome {
  /** The rates to store (every published one, or the wanted ones among them). */
  rates: Record<string, string>;
  successCount: number;
  totalCount: number;
  /** Wanted currencies not published that day, and why; null when none. */
  notes: string | null;
}

/**
 * The rates of a published day for a row that wants `targets` (null: every published
 * currency). A discontinued currency still in the file is stored as published; a wanted
 * currency absent from the file is listed in the note with why (currency-life.ts).
 */
export function dayOutcome(day: EcbDay, targets: readonly string[] | null): DayOutcome {
  const wanted = targets ?? Object.keys(day.rates);
  const rates: Record<string, string> = {};
  const missing: string[] = [];
  for (const currency of wanted) {
    if (Object.hasOwn(day.rates, currency)) rates[currency] = day.rates[currency];
    else missing.push(`${currency} (${whyNot(currency, day.date)})`);
  }
  const stored = Object.keys(rates).length;
  return {
    rates,
    successCount: stored,
    totalCount: wanted.length,
    notes: missing.length ? `not published on ${day.date}: ${missing.join(', ')}` : null,
  };
}

function whyNot(currency: string, date: IsoDate): string {
  const status = currencyStatus(currency, date);
  if (status.expected) return 'expected, but absent from the ECB file';
  switch (status.reason) {
    case 'not_an_ecb_currency':
      return 'not a currency the ECB publishes';
    case 'not_yet':
    case 'before_history':
      return `published from ${status.firstPublished}`;
    default:
      return `${status.note}; last published ${status.lastPublished}${status.resumes ? `, again from ${status.resumes}` : ''}`;
  }
}
