/**
 * What the ECB parsers (ecb-xml.ts, ecb-hist-csv.ts) share: the day they yield, the one error
 * type they throw, and the checks on a date, a currency code and a rate.
 *
 * A rate stays the string the file carries (never a JavaScript number). The ECB's files do
 * not all write a rate alike: the daily XML keeps trailing zeros ('0.85620', '149.30') while
 * the 90-day and full-history XML drop them ('0.8562', '410' for HUF 410.00). Compare rates
 * by value (decimal.js), not as strings, when two sources meet.
 */
import { isIsoDate, type IsoDate } from './target-calendar';

/** One publication day: units of each currency for one euro, as published. */
export interface EcbDay {
  date: IsoDate;
  /** ISO 4217 code → rate string exactly as in the file, e.g. { USD: '1.0664' }. */
  rates: Record<string, string>;
}

export type EcbFormatErrorCode =
  /** Nothing at all was received. */
  | 'empty'
  /** The bytes are not XML (or not UTF-8), or not the CSV the ECB publishes. */
  | 'not_xml'
  | 'not_csv'
  | 'not_zip'
  /** A ZIP whose data cannot be inflated (damaged in the middle, not at the end). */
  | 'damaged_zip'
  /** Well-formed XML, but not an ECB eurofxref document (e.g. an HTML error page). */
  | 'not_ecb'
  /** XML that stops being well-formed after a good start. */
  | 'malformed_xml'
  /** The input ended before the document did. */
  | 'truncated'
  /** A complete document without a single day of rates. */
  | 'no_rates'
  /** Elements or rows in the wrong place, a day without rates, a row of the wrong length. */
  | 'bad_structure'
  | 'bad_date'
  | 'bad_currency'
  | 'bad_rate'
  | 'duplicate_day'
  | 'duplicate_currency'
  /** More bytes (decompressed) than the caller allows. */
  | 'too_large';

/**
 * A file from the ECB that cannot be used. Days read before the error have already been
 * yielded: a caller that stores as it reads must treat the whole file as failed (roll back).
 */
export class EcbFormatError extends Error {
  constructor(
    readonly code: EcbFormatErrorCode,
    message: string,
    readonly details: {
      date?: string;
      currency?: string;
      value?: string;
      line?: number;
      column?: number;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EcbFormatError';
  }
}

/** Options of every ECB parser. */
export interface EcbParseOptions {
  /** Refuse input (decompressed, for the ZIP) larger than this; default 256 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

const CURRENCY = /^[A-Z]{3}$/;
// A positive decimal as the ECB writes it: digits, at most one point, no sign, no exponent,
// no leading zero but the one before the point.
const RATE = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
const ZERO = /^0(?:\.0+)?$/;

/** Shortened and quoted, for an error message. */
export function show(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

export function checkDate(value: string, where: string): IsoDate {
  if (!isIsoDate(value)) {
    throw new EcbFormatError('bad_date', `${where}: not a date YYYY-MM-DD: ${show(value)}`, {
      value,
    });
  }
  return value;
}

export function checkCurrency(value: string, date: string): string {
  if (!CURRENCY.test(value) || value === 'EUR') {
    throw new EcbFormatError(
      'bad_currency',
      `${date}: not a currency code (three capital letters, not EUR): ${show(value)}`,
      { date, value },
    );
  }
  return value;
}

/** Whether `value` is a rate as the ECB writes one: a positive plain decimal. */
export function isRate(value: unknown): value is string {
  return typeof value === 'string' && RATE.test(value) && !ZERO.test(value);
}

export function checkRate(value: string, date: string, currency: string): string {
  if (!isRate(value)) {
    throw new EcbFormatError(
      'bad_rate',
      `${date} ${currency}: not a positive decimal rate: ${show(value)}`,
      { date, currency, value },
    );
  }
  return value;
}
