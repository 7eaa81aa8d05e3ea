/**
 * ISO calendar dates ('YYYY-MM-DD' strings) and the pure day arithmetic every calendar of
 * the project shares (the ECB's TARGET calendar, the exchange calendars). No clock, no time
 * zone: arithmetic goes through whole UTC day numbers, never local-time `Date` methods, so a
 * server in any time zone computes the same days.
 */

/** An ISO calendar date, 'YYYY-MM-DD'. */
export type IsoDate = string;

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

/** The ISO date of a year, month (1-12) and day; throws InvalidIsoDateError for e.g. 31 April. */
export function isoDateOf(year: number, month: number, day: number): IsoDate {
  const iso = `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
  if (!isIsoDate(iso)) throw new InvalidIsoDateError(iso);
  return iso;
}
