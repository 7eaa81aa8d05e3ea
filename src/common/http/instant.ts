import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * The instants the API reads (e.g. `from` and `to` of `GET /jobs`), and only these (RFC 3339
 * profile of ISO 8601; docs/api.md lists them):
 *
 *   2026-11-01                        the start of that day, UTC
 *   2026-11-01T09:30Z                 UTC (`Z`)
 *   2026-11-01T09:30:15Z              seconds
 *   2026-11-01T09:30:15.123456Z       1 to 9 fraction digits (read to the millisecond)
 *   2026-11-01T09:30:15+02:00         an offset `±hh:mm` instead of `Z`
 *
 * Anything else (week or ordinal dates, basic format, hour-only times or offsets, a time
 * without `Z` or an offset, lower-case `t`/`z`, a leap second) is refused, as is an instant
 * outside the years 0001-9999 UTC.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2})))?$/;

const MIN = new Date('0001-01-01T00:00:00Z').getTime();
const MAX = new Date('9999-12-31T23:59:59.999Z').getTime();

export const INSTANT_FORMATS =
  'YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.fraction]] followed by Z or ±hh:mm';

/** The instant `text` stands for, or undefined when it is not in one of the formats above. */
export function parseInstant(text: string): Date | undefined {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [m[1], m[2], m[3]].map(Number);
  const [hour, minute, second] = [m[4], m[5], m[6]].map((v) => Number(v ?? 0));
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9]) {
    const [oh, om] = [Number(m[10]), Number(m[11])];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute - offsetMinutes, second, millis);
  const time = date.getTime();
  return time >= MIN && time <= MAX ? date : undefined;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The property is a string in one of the formats parseInstant reads. */
export function IsInstant(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName: property,
      options: { message: `$property must be an instant: ${INSTANT_FORMATS}`, ...options },
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !!parseInstant(value),
      },
    });
}
