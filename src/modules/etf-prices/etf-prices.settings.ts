import { Doc, IntVar, MatchVar } from '../../config/settings';

/** ETF daily prices: where the price CSVs are read from and how long a download may take. */
export class EtfPricesSettings {
  @Doc(
    'Where an ETF’s daily prices are read from: an http(s) URL template with `{symbol}` (URL-encoded) and, usually, `{from}` and `{to}` (ISO dates), answering a CSV `Date,Open,High,Low,Close,Volume` (optional `Adj Close`). The default answers nothing: operators must set it.',
  )
  @MatchVar(
    /^https?:\/\/[^/\s{}]+\S*\{symbol\}\S*$/,
    'must be an http(s) URL template containing {symbol}',
  )
  ETF_PRICES_URL: string = 'http://127.0.0.1:9/prices/{symbol}.csv?from={from}&to={to}';

  @Doc(
    'Longest a price download may take, answer and whole body; a slower one fails the attempt, which is retried.',
  )
  @IntVar(10)
  ETF_PRICES_TIMEOUT_MS: number = 30_000;

  @Doc(
    'Minutes after an exchange’s close (an early close too) when the day’s ETF prices are due: the daily-update calendar starts one daily update per active ETF of that exchange then.',
  )
  @IntVar(0)
  ETF_DUE_MARGIN_MINUTES: number = 60;
}
