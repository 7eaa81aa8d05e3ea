/**
 * Small date rules the exchange calendars are written with: "the third Monday of January",
 * "the last Monday of May", "a Saturday holiday is taken on the Friday before".
 */

import { addDays, isoDateOf, isoWeekday, type IsoDate } from './iso-date';

export const MONDAY = 1;
export const THURSDAY = 4;
export const FRIDAY = 5;

/**
 * The `n`-th `weekday` (ISO: 1 = Monday … 7 = Sunday) of a month; `n` = -1 for the last one.
 * E.g. Thanksgiving: `nthWeekday(year, 11, THURSDAY, 4)`.
 */
export function nthWeekday(year: number, month: number, weekday: number, n: number): IsoDate {
  if (n === -1) {
    const last = addDays(
      month === 12 ? isoDateOf(year + 1, 1, 1) : isoDateOf(year, month + 1, 1),
      -1,
    );
    return addDays(last, -((isoWeekday(last) - weekday + 7) % 7));
  }
  const first = isoDateOf(year, month, 1);
  return addDays(first, ((weekday - isoWeekday(first) + 7) % 7) + 7 * (n - 1));
}

/** A holiday and the weekday it is taken on (its `name` says "observed" when moved). */
export interface Observed {
  date: IsoDate;
  name: string;
}

function moved(date: IsoDate, to: IsoDate, name: string): Observed {
  return date === to ? { date, name } : { date: to, name: `${name} (observed)` };
}

/** US style: a Saturday holiday is taken on the Friday before, a Sunday one on the Monday after. */
export function nearestWeekday(date: IsoDate, name: string): Observed {
  const weekday = isoWeekday(date);
  return moved(
    date,
    weekday === 6 ? addDays(date, -1) : weekday === 7 ? addDays(date, 1) : date,
    name,
  );
}

/** `date` itself on a weekday, else the Monday after it (UK substitute days). */
export function weekdayOrMondayAfter(date: IsoDate): IsoDate {
  const weekday = isoWeekday(date);
  return weekday >= 6 ? addDays(date, 8 - weekday) : date;
}

/** `date` itself on a weekday, else the Friday before it. */
export function weekdayOrFridayBefore(date: IsoDate): IsoDate {
  const weekday = isoWeekday(date);
  return weekday >= 6 ? addDays(date, FRIDAY - weekday) : date;
}
