import { appClock } from '../../common/util/clock';
import type { RatesFileKind } from './exchange-rate-update.entity';
import { addDays, publicationDayOnOrBefore, type IsoDate } from './target-calendar';

/** The ECB publishes around 16:00 Central European time: "today" is Berlin's date. */
export const ECB_TIME_ZONE = 'Europe/Berlin';

/** The clock "today" is read from (the app's clock); tests set `now` to a day of their fixtures. */
export const ecbClock = appClock;

/** Today's date in Europe/Berlin, 'YYYY-MM-DD'. */
export function ecbToday(now: Date = ecbClock.now()): IsoDate {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: ECB_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/**
 * Days of the 90-day file we rely on: it spans about 90 calendar days back from its newest
 * day (89 in the fixtures); a margin keeps a day near its far end out of it.
 */
const NINETY_DAY_REACH = 80;

/**
 * The smallest file that has `date` (the oldest day of a range): the daily file for the
 * latest publication day (today's, once published), the 90-day file within its reach, the
 * full history before that.
 */
export function fileFor(date: IsoDate, today: IsoDate): RatesFileKind {
  const latest = publicationDayOnOrBefore(today);
  if (latest !== null && date >= latest) return 'daily';
  if (date >= addDays(today, -NINETY_DAY_REACH)) return 'hist-90d';
  return 'hist';
}
