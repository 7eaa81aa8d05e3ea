/**
 * Wall-clock times in IANA time zones ('Europe/Berlin', 'America/New_York', …), through the
 * runtime's own time-zone database (`Intl.DateTimeFormat`): no library, and the answers
 * follow every daylight-saving change the database knows.
 *
 * Times are 'HH:MM' strings (24-hour clock, 00:00-23:59); dates are ISO dates.
 */

import { dayNumber, isoDateOf, type IsoDate } from './iso-date';

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone (building one is slow); an unknown zone throws a RangeError. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number, timeZone: string): WallClock {
  const out: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = out;
  return { year, month, day, hour, minute, second };
}

/** The zone's offset from UTC at an instant, in ms (e.g. +3 600 000 for CET). */
function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // The formatter has no milliseconds: compare whole seconds.
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

function parseTime(time: string): number {
  const m = typeof time === 'string' ? HH_MM.exec(time) : null;
  if (!m) throw new RangeError(`not a time in HH:MM form: ${JSON.stringify(time)}`);
  return (Number(m[1]) * 60 + Number(m[2])) * MS_PER_MINUTE;
}

function instantMs(instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : NaN;
  if (Number.isNaN(ms)) throw new RangeError('not a valid Date');
  return ms;
}

/**
 * The instant at which the clocks in `timeZone` show `time` on `date`, e.g.
 * `instantAt('2024-07-01', '17:30', 'Europe/Berlin')` is 2024-07-01T15:30:00Z.
 *
 * Across daylight-saving changes (the same choice as JavaScript's `Date`, java.time and
 * Temporal's 'compatible' disambiguation):
 * - a time that does not exist (skipped when clocks go forward, e.g. 02:30 in Berlin on
 *   2024-03-31) is read with the offset in force before the change, so the answer lies
 *   after the gap by the same distance (02:30 → the instant the clocks show 03:30);
 * - a time that happens twice (clocks go back, e.g. 02:30 in Berlin on 2024-10-27) is the
 *   first of the two (still on summer time).
 */
export function instantAt(date: IsoDate, time: string, timeZone: string): Date {
  const wall = dayNumber(date) * MS_PER_DAY + parseTime(time); // the wall clock read as UTC
  // Real zones change offset at most once within a day either side of a date.
  const before = offsetAt(wall - MS_PER_DAY, timeZone);
  const after = offsetAt(wall + MS_PER_DAY, timeZone);
  const valid = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((ms) => wall - offsetAt(ms, timeZone) === ms)
    .sort((a, b) => a - b);
  return new Date(valid.length > 0 ? valid[0] : wall - before);
}

/** The calendar date the clocks in `timeZone` show at `instant`. */
export function dateIn(instant: Date, timeZone: string): IsoDate {
  const w = wallClock(instantMs(instant), timeZone);
  return isoDateOf(w.year, w.month, w.day);
}

/** The wall-clock time ('HH:MM', seconds dropped) in `timeZone` at `instant`. */
export function timeIn(instant: Date, timeZone: string): string {
  const w = wallClock(instantMs(instant), timeZone);
  return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}
