/**
 * Parsers for the value types a dataset column can have. Each takes the cell already trimmed
 * and known to be non-empty, and returns the value to store (always a string: dates stay
 * ISO text and decimals stay exact decimal text, never a JS number) or an `InvalidValue`
 * saying what is wrong in words an uploader can act on.
 */
import { ISO_4217_CODES } from './iso-4217';

/** Why a cell was rejected. A class rather than a result object so valid cells allocate nothing. */
export class InvalidValue {
  constructor(readonly message: string) {}
}

export type ParsedValue = string | InvalidValue;

// C0 and C1 control characters except tab (U+0009). Line breaks are included: a value that
// contains one came from a quoted multi-line cell, which no column of ours expects.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

export function parseText(value: string, maxLength: number): ParsedValue {
  const control = CONTROL_CHARACTER.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return new InvalidValue(
      `contains the control character U+${code} at position ${control.index + 1}; only tab is allowed`,
    );
  }
  // Decoded UTF-8 is always well formed; this guards values that did not come from a file.
  if (!value.isWellFormed()) return new InvalidValue('contains an unpaired UTF-16 surrogate');
  // The database limit counts characters (code points), not UTF-16 units.
  if (value.length > maxLength) {
    const characters = codePointCount(value);
    if (characters > maxLength) {
      return new InvalidValue(`is ${characters} characters long; at most ${maxLength} allowed`);
    }
  }
  return value;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseDate(value: string): ParsedValue {
  const match = ISO_DATE.exec(value);
  if (!match) return new InvalidValue('must be a date written YYYY-MM-DD');
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1) return new InvalidValue('has year 0000, which does not exist');
  if (month < 1 || month > 12) return new InvalidValue(`has month ${match[2]}; months are 01-12`);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (day < 1 || day > days) {
    return new InvalidValue(`is not a calendar date: ${match[1]}-${match[2]} has ${days} days`);
  }
  return value;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * A decimal as PostgreSQL `numeric(precision, scale)` accepts it without rounding: at most
 * `precision - scale` digits before the point and `scale` after (leading and trailing zeros
 * do not count). Normalized to a canonical text form (`-007.50` → `-7.5`, `-0.00` → `0`), so
 * equal amounts compare equal as text too.
 */
export function parseDecimal(value: string, precision: number, scale: number): ParsedValue {
  const match = DECIMAL.exec(value);
  if (!match) return new InvalidValue(explainBadDecimal(value));
  const integer = match[2].replace(/^0+/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const maxIntegerDigits = precision - scale;
  if (integer.length > maxIntegerDigits) {
    return new InvalidValue(
      `has ${integer.length} digits before the decimal point; at most ${maxIntegerDigits} allowed`,
    );
  }
  if (fraction.length > scale) {
    return new InvalidValue(
      `has ${fraction.length} digits after the decimal point; at most ${scale} allowed (values are not rounded)`,
    );
  }
  const negative = match[1] === '-' && (integer !== '' || fraction !== '');
  return `${negative ? '-' : ''}${integer || '0'}${fraction ? `.${fraction}` : ''}`;
}

function explainBadDecimal(value: string): string {
  if (/^[-+]?(nan|inf(inity)?)$/i.test(value)) return 'must be a finite number';
  if (/^[-+]?[\d.]+e[-+]?\d+$/i.test(value)) return 'must not use exponent notation (like 1e5)';
  if (/\d[,' _]\d/.test(value)) {
    return 'must not contain thousands separators or a decimal comma; write 1234.56';
  }
  return 'must be a decimal number such as 1234.56 or -0.5 (a point, no sign but minus)';
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

export function parseCurrency(value: string): ParsedValue {
  if (CURRENCY_CODE.test(value) && ISO_4217_CODES.has(value)) return value;
  const upper = value.toUpperCase();
  if (ISO_4217_CODES.has(upper)) return new InvalidValue(`must be upper case: ${upper}`);
  return new InvalidValue('is not an ISO 4217 currency code in use (like EUR or USD)');
}

function codePointCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
