/**
 * The TARGET closing-day calendar: the days on which the ECB publishes no euro foreign
 * exchange reference rates. Pure: no clock, no time zone. Dates are ISO calendar dates
 * ('YYYY-MM-DD' strings); arithmetic goes through whole UTC day numbers, never local-time
 * `Date` methods, so a server in any time zone computes the same days.
 *
 * Rules (the TARGET calendar as kept by QuantLib since TARGET began, and the ECB's own
 * list of TARGET closing days since 2000):
 * - Saturdays and Sundays;
 * - New Year's Day (1 January) and Christmas Day (25 December), every year;
 * - Good Friday, Easter Monday, Labour Day (1 May) and 26 December, from 2000 on;
 * - 31 December in 1998, 1999 (year 2000 changeover) and 2001 (euro cash changeover) only.
 * In 1999, TARGET was open (and the ECB published) on Good Friday, Easter Monday, 1 May
 * and 26 December. Easter Sunday is computed by the Gregorian computus.
 *
 * The ECB's first reference rates are those of Monday 4 January 1999: nothing is
 * published before that day, whatever the calendar says.
 */

import {
  addDays,
  dayNumber,
  easterSunday,
  fromDayNumber,
  isoWeekday,
  type IsoDate,
} from '../../common/calendar/iso-date';

// The date math lives in common/calendar/iso-date (shared with the exchange calendars); these
// names stay exported from here for the modules that import them from this file.
export {
  addDays,
  dayNumber,
  easterSunday,
  fromDayNumber,
  InvalidIsoDateError,
  isIsoDate,
  isoWeekday,
  type IsoDate,
} from '../../common/calendar/iso-date';

export type ClosingReason = 'weekend' | 'target_holiday';

export type TargetDay = { closed: true; reason: ClosingReason; name: string } | { closed: false };

/** The first day with euro reference rates (the ECB's history starts here). */
export const FIRST_PUBLICATION_DAY: IsoDate = '1999-01-04';

export interface TargetHoliday {
  date: IsoDate;
  name: string;
}

/**
 * The TARGET holidays of a year, in date order, whatever weekday they fall on (a holiday on
 * a Saturday or Sunday is listed here, and isTargetClosed reports it as a weekend).
 */
export function targetHolidays(year: number): TargetHoliday[] {
  const easter = easterSunday(year);
  const list: TargetHoliday[] = [{ date: `${year}-01-01`, name: "New Year's Day" }];
  if (year >= 2000) {
    list.push(
      { date: addDays(easter, -2), name: 'Good Friday' },
      { date: addDays(easter, 1), name: 'Easter Monday' },
      { date: `${year}-05-01`, name: 'Labour Day' },
    );
  }
  list.push({ date: `${year}-12-25`, name: 'Christmas Day' });
  if (year >= 2000) list.push({ date: `${year}-12-26`, name: 'Christmas Holiday (26 December)' });
  if (year === 1998 || year === 1999 || year === 2001) {
    list.push({ date: `${year}-12-31`, name: 'New Year’s Eve (31 December, one-off closing)' });
  }
  return list.sort((x, y) => (x.date < y.date ? -1 : 1));
}

const holidayCache = new Map<number, Map<IsoDate, string>>();

function holidayName(date: IsoDate): string | undefined {
  const year = Number(date.slice(0, 4));
  let byDate = holidayCache.get(year);
  if (!byDate) {
    byDate = new Map(targetHolidays(year).map((h) => [h.date, h.name]));
    holidayCache.set(year, byDate);
  }
  return byDate.get(date);
}

/** Whether TARGET is closed on `date`, and why. A weekend takes precedence over a holiday. */
export function isTargetClosed(date: IsoDate): TargetDay {
  const weekday = isoWeekday(date);
  if (weekday >= 6)
    return { closed: true, reason: 'weekend', name: weekday === 6 ? 'Saturday' : 'Sunday' };
  const name = holidayName(date);
  if (name !== undefined) return { closed: true, reason: 'target_holiday', name };
  return { closed: false };
}

/** Whether the ECB is expected to publish reference rates for `date`. */
export function isPublicationDay(date: IsoDate): boolean {
  return date >= FIRST_PUBLICATION_DAY && !isTargetClosed(date).closed;
}

/** The last publication day strictly before `date`; null when `date` is on or before 1999-01-04. */
export function previousPublicationDay(date: IsoDate): IsoDate | null {
  let n = dayNumber(date) - 1;
  const first = dayNumber(FIRST_PUBLICATION_DAY);
  // At most a few closed days in a row (e.g. Fri 25 Dec … Mon 28 Dec); the loop is short.
  while (n >= first) {
    const day = fromDayNumber(n);
    if (!isTargetClosed(day).closed) return day;
    n -= 1;
  }
  return null;
}

/** `date` itself when it is a publication day, else the one before it (null before 1999-01-04). */
export function publicationDayOnOrBefore(date: IsoDate): IsoDate | null {
  return isPublicationDay(date) ? date : previousPublicationDay(date);
}

/** The first publication day strictly after `date`. */
export function nextPublicationDay(date: IsoDate): IsoDate {
  let n = Math.max(dayNumber(date) + 1, dayNumber(FIRST_PUBLICATION_DAY));
  for (;;) {
    const day = fromDayNumber(n);
    if (!isTargetClosed(day).closed) return day;
    n += 1;
  }
}

/** Every publication day from `from` to `to`, both included, in date order. */
export function publicationDays(from: IsoDate, to: IsoDate): IsoDate[] {
  const days: IsoDate[] = [];
  const end = dayNumber(to);
  for (let n = Math.max(dayNumber(from), dayNumber(FIRST_PUBLICATION_DAY)); n <= end; n += 1) {
    const day = fromDayNumber(n);
    if (!isTargetClosed(day).closed) days.push(day);
  }
  return days;
}
