import type { EntityManager } from '@mikro-orm/postgresql';
import { executeBound } from '../../database/execute-bound';
import type { IsoDate } from '../../common/calendar/iso-date';
import type { PriceBar } from './price-bar';
import type { QualityFlag } from './quality-flags';

/** What an upsert did: bars written new, changed, or found equal by value. */
export interface BarWriteCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** A stored bar, as the flag rules read it. */
export interface StoredBar extends PriceBar {
  flags: string[] | null;
}

/** Bars per statement; all in the caller's transaction. */
const BATCH = 2_000;

/**
 * Upserts an ETF's bars on (etf_id, price_date), exactly as the source wrote them (strings
 * into numeric), each with its quality flags (`{}`: checked and clean). A bar equal by value
 * and flags is left as stored (unchanged). Run it inside the transaction that also saves the
 * tracking row.
 */
export async function upsertBars(
  em: EntityManager,
  etfId: string,
  bars: readonly PriceBar[],
  flags: ReadonlyMap<IsoDate, readonly QualityFlag[]>,
  source: string,
): Promise<BarWriteCounts> {
  const counts: BarWriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
  for (let i = 0; i < bars.length; i += BATCH) {
    const batch = bars.slice(i, i + BATCH);
    const column = (pick: (bar: PriceBar) => string | null) => batch.map(pick);
    // Flags travel as one text per bar ('zero_price,jump_100x' or ''), split in SQL: a
    // text[][] parameter cannot hold rows of different lengths.
    const flagText = batch.map((bar) => (flags.get(bar.date) ?? []).join(','));
    const [result] = await executeBound<{ inserted: string; updated: string }>(
      em,
      `WITH written AS (
         INSERT INTO etf_prices AS p
           (etf_id, price_date, open, high, low, close, adj_close, volume, source, flags, updated_at)
         SELECT $1, t.d, t.o, t.h, t.l, t.c, t.a, t.v, $2,
                COALESCE(string_to_array(NULLIF(t.f, ''), ','), '{}'), now()
         FROM unnest($3::date[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[],
                     $8::numeric[], $9::numeric[], $10::text[]) AS t(d, o, h, l, c, a, v, f)
         ON CONFLICT (etf_id, price_date) DO UPDATE
           SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
               close = EXCLUDED.close, adj_close = EXCLUDED.adj_close, volume = EXCLUDED.volume,
               source = EXCLUDED.source, flags = EXCLUDED.flags, updated_at = now()
           WHERE (p.open, p.high, p.low, p.close, p.adj_close, p.volume, p.flags)
                 IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close,
                                   EXCLUDED.adj_close, EXCLUDED.volume, EXCLUDED.flags)
         RETURNING (xmax = 0) AS inserted
       )
       SELECT count(*) FILTER (WHERE inserted) AS inserted,
              count(*) FILTER (WHERE NOT inserted) AS updated
       FROM written`,
      [
        etfId,
        source,
        column((b) => b.date),
        column((b) => b.open),
        column((b) => b.high),
        column((b) => b.low),
        column((b) => b.close),
        column((b) => b.adjClose),
        column((b) => b.volume),
        flagText,
      ],
    );
    const inserted = Number(result.inserted);
    const updated = Number(result.updated);
    counts.inserted += inserted;
    counts.updated += updated;
    counts.unchanged += batch.length - inserted - updated;
  }
  return counts;
}

const BAR_COLUMNS = `price_date::text AS date, open::text, high::text, low::text, close::text,
  adj_close::text AS "adjClose", volume::text, flags`;

/**
 * The stored bars an update's flags are judged against: those of [from, to] and `around`
 * bars on each side, oldest first, leaving out bars flagged `jump_100x` (they are off the
 * level, and a block of them can be longer than `around`: counting them in the window would
 * leave none of the true level to judge the next bar of the block, or the first good one
 * after it, against).
 */
export async function storedContext(
  em: EntityManager,
  etfId: string,
  from: IsoDate,
  to: IsoDate,
  around: number,
): Promise<StoredBar[]> {
  const onLevel = `NOT coalesce('jump_100x' = ANY (flags), false)`;
  return executeBound<StoredBar>(
    em,
    `(SELECT ${BAR_COLUMNS} FROM etf_prices
       WHERE etf_id = $1 AND price_date < $2 AND ${onLevel} ORDER BY price_date DESC LIMIT $4)
     UNION ALL
     (SELECT ${BAR_COLUMNS} FROM etf_prices
       WHERE etf_id = $1 AND price_date BETWEEN $2 AND $3 AND ${onLevel})
     UNION ALL
     (SELECT ${BAR_COLUMNS} FROM etf_prices
       WHERE etf_id = $1 AND price_date > $3 AND ${onLevel} ORDER BY price_date ASC LIMIT $4)
     ORDER BY date`,
    [etfId, from, to, around],
  );
}

/** The days of `days` with no stored bar for the ETF, in order. */
export async function daysWithoutBar(
  em: EntityManager,
  etfId: string,
  days: readonly IsoDate[],
): Promise<IsoDate[]> {
  if (!days.length) return [];
  const rows = await executeBound<{ day: string }>(
    em,
    `SELECT d::text AS day FROM unnest($2::date[]) AS d
     WHERE NOT EXISTS (SELECT 1 FROM etf_prices WHERE etf_id = $1 AND price_date = d)
     ORDER BY d`,
    [etfId, days],
  );
  return rows.map((r) => r.day);
}

/** The days in [from, to] whose stored bar carries at least one quality flag, in order. */
export async function flaggedDays(
  em: EntityManager,
  etfId: string,
  from: IsoDate,
  to: IsoDate,
): Promise<IsoDate[]> {
  const rows = await executeBound<{ day: string }>(
    em,
    `SELECT price_date::text AS day FROM etf_prices
     WHERE etf_id = $1 AND price_date BETWEEN $2 AND $3 AND flags <> '{}'
     ORDER BY price_date`,
    [etfId, from, to],
  );
  return rows.map((r) => r.day);
}
