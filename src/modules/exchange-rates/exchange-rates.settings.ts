import { Doc, IntVar, MatchVar } from '../../config/settings';

/** ECB euro reference rates: where they are read from, how long a download may take, when. */
export class ExchangeRatesSettings {
  @Doc(
    'Where the ECB files are read from: `eurofxref-daily.xml`, `eurofxref-hist-90d.xml` and `eurofxref-hist.zip` under this URL.',
  )
  @MatchVar(/^https?:\/\/[^/\s]+(\/\S*)?[^/\s]$/, 'must be an http(s) URL without a trailing slash')
  ECB_BASE_URL: string = 'https://www.ecb.europa.eu/stats/eurofxref';

  @Doc(
    'Longest an ECB download may take, answer and whole body; a slower one fails the attempt, which is retried.',
  )
  @IntVar(10)
  ECB_TIMEOUT_MS: number = 30_000;

  @Doc(
    'When the daily update is started (cron, Europe/Berlin time), in processes with `MAINTENANCE_ENABLED=true`; the job retries until the ECB has published the day. `off`: never.',
  )
  @MatchVar(/^(off|\S+( \S+){4,5})$/, 'must be a cron expression (5 or 6 fields) or off')
  ECB_DAILY_CRON: string = '15 16 * * 1-5';

  @Doc(
    'When a day’s ECB rates are due (HH:MM, Europe/Berlin): the daily-update calendar starts the day’s update then; it is overdue DAILY_GRACE_MINUTES later. The ECB publishes around 16:00.',
  )
  @MatchVar(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM')
  ECB_DUE_TIME: string = '16:30';
}
