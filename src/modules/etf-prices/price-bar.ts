/**
 * One day of an ETF's prices as a source gave it, and the canonical text of its numbers.
 *
 * Prices are never JavaScript numbers: each stays the decimal text the source wrote, only
 * put in one canonical form so equal values are equal strings: no exponent, no sign, no
 * leading zeros but the one before the point, no trailing zeros after it (`125.50` → `125.5`,
 * `33.0` → `33`, `0.00` → `0`); every digit written is otherwise kept, float noise included
 * (`72.22000122070312` stays). Compare or compute with decimal.js, never with Number().
 */
import type { IsoDate } from '../exchange-rates/target-calendar';

export interface PriceBar {
  /** The trading day (the local date the source wrote, for a datetime with an offset). */
  date: IsoDate;
  open: string;
  high: string;
  low: string;
  close: string;
  /** Close adjusted for dividends and splits; null when the source has none. */
  adjClose: string | null;
  /** Shares traded, a whole number; null when the source has none. */
  volume: string | null;
}

/** The four prices every bar has, in the order they are checked and shown. */
export const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];

// A non-negative plain decimal: digits, at most one point with digits on both sides.
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * The canonical text of a non-negative plain decimal (see the file comment), or null when
 * `text` is not one (a sign, an exponent, NaN, Infinity, a comma, spaces, empty).
 */
export function canonicalDecimal(text: string): string | null {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return null;
  const integer = match[1].replace(/^0+(?=\d)/, '');
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  return fraction ? `${integer}.${fraction}` : integer;
}

/**
 * The canonical text of a whole, non-negative count (a volume): `1763100`, also written
 * `1763100.0` by tools that store the column as floats. Null for anything else (`12.5`).
 */
export function canonicalCount(text: string): string | null {
  const value = canonicalDecimal(text);
  return value !== null && !value.includes('.') ? value : null;
}

/** Why `text` is not a plain non-negative decimal, in words for an error message. */
export function explainBadNumber(text: string): string {
  if (text === '') return 'is empty';
  if (/^[-+]?(nan|inf(inity)?)$/i.test(text)) return 'is not a finite number';
  if (/^-\d*\.?\d+$/.test(text)) return 'is negative';
  if (/^[-+]?[\d.]+e[-+]?\d+$/i.test(text)) return 'uses exponent notation (like 1e5)';
  if (/\d[,' _]\d/.test(text)) return 'has a thousands separator or a decimal comma';
  return 'is not a decimal number such as 125.5';
}
