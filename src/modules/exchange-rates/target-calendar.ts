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

/** An ISO calendar date, 'YYYY-MM-DD'. */
export type IsoDate = string;

export type ClosingReason = 'weekend' | 'target_holiday';

export type TargetDay = { closed: true; reason: ClosingReason; name: string } | { closed: false };

/** The first day with euro reference rates (the ECB's history starts here). */
export const FIRST_PUBLICATION_DAY: IsoDate = '1999-01-04';

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// The Gregorian computus and our day numbers are meant for these years.
const MIN_YEAR = 1583;
const MAX_YEAR = 9999;

/** Thrown for a string that is not a real calendar date in 'YYYY-MM-DD' form. */
export class InvalidIsoDateError extends RangeError {
  constructor(readonly value: unknown) {
    super(`not a calendar date in YYYY-MM-DD form (${MIN_YEAR}-${MAX_YEAR}): ${describe(value)}`);
    this.name = 'InvalidIsoDateError';
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}

interface Ymd {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
}

/** Whether `value` is a real calendar date 'YYYY-MM-DD' (e.g. not '2023-02-29'). */
export function isIsoDate(value: unknown): value is IsoDate {
  return parseYmd(value) !== null;
}

function parseYmd(value: unknown): Ymd | null {
  if (typeof value !== 'string') return null;
  const m = ISO_DATE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return null;
  if (day > daysInMonth(year, month)) return null;
  return { year, month, day };
}

function ymd(date: IsoDate): Ymd {
  const parsed = parseYmd(date);
  if (!parsed) throw new InvalidIsoDateError(date);
  return parsed;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 (UTC); exact for every Gregorian date. */
export function dayNumber(date: IsoDate): number {
  const { year, month, day } = ymd(date);
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

/** The ISO date of a day number (inverse of dayNumber). */
export function fromDayNumber(n: number): IsoDate {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a day number: ${n}`);
  const d = new Date(n * MS_PER_DAY);
  const iso = `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (!isIsoDate(iso)) throw new RangeError(`day number ${n} is outside ${MIN_YEAR}-${MAX_YEAR}`);
  return iso;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `date` moved by `days` (negative: earlier). */
export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: IsoDate): number {
  // 1970-01-01 was a Thursday (4).
  return ((((dayNumber(date) + 3) % 7) + 7) % 7) + 1;
}

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher). */
export function easterSunday(year: number): IsoDate {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`year out of range ${MIN_YEAR}-${MAX_YEAR}: ${year}`);
  }
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${pad2(month)}-${pad2(day)}`;
}

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
