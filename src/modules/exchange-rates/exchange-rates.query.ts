import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { EcbDay } from './ecb-format';
import {
  type ConversionAnswer,
  conversionAnswer,
  type RatesAnswer,
  ratesAnswer,
} from './rates-answer';
import type { IsoDate } from './target-calendar';

/**
 * The last publication stored on or before a date, in one statement: the newest `rate_date`
 * on or before it (a backward scan of the primary key (rate_date, base, quote) that stops at
 * the first euro row), then that day's rows (the same index). Dates come back as text and
 * rates as the stored numeric's text (`numeric::text` keeps the published digits, trailing
 * zeros included): never a JavaScript Date or number.
 */
const LAST_DAY_SQL = `
  WITH day AS (
    SELECT rate_date FROM exchange_rates
    WHERE base = 'EUR' AND rate_date <= ?::date
    ORDER BY rate_date DESC LIMIT 1
  )
  SELECT to_char(r.rate_date, 'YYYY-MM-DD') AS rate_date, r.quote, r.rate::text AS rate
  FROM exchange_rates r JOIN day ON r.rate_date = day.rate_date
  WHERE r.base = 'EUR'`;

/** Reads `exchange_rates` for the read API; the reasoning is rates-answer.ts. */
@Injectable()
export class ExchangeRatesQuery {
  constructor(private readonly orm: MikroORM) {}

  /** The euro rates of the last publication stored on or before `date`; null when none. */
  async lastDayOnOrBefore(date: IsoDate): Promise<EcbDay | null> {
    const rows = await this.orm.em
      .getConnection()
      .execute<{ rate_date: string; quote: string; rate: string }[]>(LAST_DAY_SQL, [date], 'all');
    if (rows.length === 0) return null;
    const rates: Record<string, string> = {};
    for (const row of rows) rates[row.quote] = row.rate;
    return { date: rows[0].rate_date, rates };
  }

  /** `GET /exchange-rates` (rates-answer.ts ratesAnswer). */
  async rates(date: IsoDate, base: string, symbols: string[] | null): Promise<RatesAnswer> {
    return ratesAnswer(date, base, symbols, await this.lastDayOnOrBefore(date));
  }

  /** `GET /exchange-rates/convert` (rates-answer.ts conversionAnswer). */
  async convert(
    date: IsoDate,
    from: string,
    to: string,
    amount: string,
  ): Promise<ConversionAnswer> {
    return conversionAnswer(date, from, to, amount, await this.lastDayOnOrBefore(date));
  }
}
