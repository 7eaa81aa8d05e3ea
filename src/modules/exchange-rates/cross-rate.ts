/**
 * Cross rates between any two currencies the ECB published on a day, from that day's two euro
 * legs, and conversion of an amount. Strings in, strings out: every figure is a decimal string
 * and all arithmetic is decimal.js, never a JavaScript number.
 *
 * Rounding: a cross rate is the exact quotient of its two legs rounded once, half to even, to
 * 16 significant digits (decimal.js rounds each operation correctly, so one division at
 * precision 16 is that single rounding). A pair and its reciprocal are both computed from the
 * same two published legs (USD→GBP = GBP/USD, GBP→USD = USD/GBP), never one from the other
 * after rounding, so neither inherits the other's rounding error.
 *
 * Two private Decimal constructors (clones) hold these settings; the global Decimal, which
 * other code may use, is never configured.
 */
import { Decimal } from 'decimal.js';
import { DomainError } from '../../common/http/domain-error';
import { checkRate, type EcbDay, isRate } from './ecb-format';
import type { IsoDate } from './target-calendar';

/** Significant digits of a computed rate. */
export const RATE_SIGNIFICANT_DIGITS = 16;

const settings = { rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -9e15, toExpPos: 9e15 } as const;

/** Rates: 16 significant digits, half to even. */
const Rate = Decimal.clone({ ...settings, precision: RATE_SIGNIFICANT_DIGITS });

// Exact products: inputs are limited to MAX_DIGITS significant digits each, so a product has at
// most 2 × MAX_DIGITS and this precision never rounds it.
const MAX_DIGITS = 60;
const Exact = Decimal.clone({ ...settings, precision: 2 * MAX_DIGITS + 10 });

const CURRENCY = /^[A-Z]{3}$/;
const AMOUNT = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** One euro leg as published: units of `currency` for one euro. */
export interface EuroLeg {
  currency: string;
  rate: string;
}

export interface CrossRate {
  date: IsoDate;
  base: string;
  quote: string;
  /** Units of `quote` for one unit of `base`. */
  rate: string;
  /**
   * The euro legs the rate comes from: `base` is EUR→base, `quote` is EUR→quote; null for the
   * euro itself (its leg is 1 by definition).
   */
  legs: { base: EuroLeg | null; quote: EuroLeg | null };
  /** True when `rate` is a published figure (EUR→X) or 1 (X→X), not a computed quotient. */
  published: boolean;
}

/** A currency the ECB did not publish on that day. */
export class RateNotPublishedError extends Error {
  constructor(
    readonly currency: string,
    readonly date: IsoDate,
  ) {
    super(`the ECB published no ${currency} rate on ${date}`);
    this.name = 'RateNotPublishedError';
  }
}

/**
 * A rate (a stored or published leg, or a rate passed in) that convert cannot compute with: more
 * than MAX_DIGITS (60) significant digits, or not a positive decimal. Only stored data can carry
 * one (a CSV upload into numeric), so it is a 422 problem, never a 500.
 */
export class UnusableRateError extends DomainError {
  constructor(rate: string, why: string) {
    super('UNPROCESSABLE', `the rate ${JSON.stringify(String(rate).slice(0, 40))} ${why}`, {
      reason: 'unusable_rate',
    });
    this.name = 'UnusableRateError';
  }
}

function checkCode(currency: string): string {
  if (!CURRENCY.test(currency)) {
    throw new RangeError(`not a currency code: ${JSON.stringify(String(currency).slice(0, 20))}`);
  }
  return currency;
}

function leg(day: EcbDay, currency: string): EuroLeg | null {
  if (currency === 'EUR') return null;
  const rate = Object.hasOwn(day.rates, currency) ? day.rates[currency] : undefined;
  if (rate === undefined) throw new RateNotPublishedError(currency, day.date);
  return { currency, rate: checkRate(rate, day.date, currency) };
}

/**
 * Units of `quote` for one `base` on `day`: EUR→X is the published string itself, X→X is '1',
 * anything else the quotient of the two legs at 16 significant digits, half to even.
 * Throws RateNotPublishedError when either currency has no rate that day, RangeError for a
 * malformed code.
 */
export function crossRate(day: EcbDay, base: string, quote: string): CrossRate {
  checkCode(base);
  checkCode(quote);
  const legs = { base: leg(day, base), quote: leg(day, quote) };
  const result = (rate: string, published: boolean): CrossRate => ({
    date: day.date,
    base,
    quote,
    rate,
    legs,
    published,
  });
  if (base === quote) return result('1', true);
  if (!legs.base) return result((legs.quote as EuroLeg).rate, true);
  const numerator = legs.quote ? legs.quote.rate : '1';
  return result(new Rate(numerator).div(legs.base.rate).toFixed(), false);
}

export interface ConvertOptions {
  /**
   * Round the result half to even to this many decimal places (e.g. the quote currency's minor
   * unit: 2 for USD, 0 for JPY) and keep that many, trailing zeros included. Without it, the
   * result is rounded half to even to 16 significant digits and written without trailing zeros.
   */
  decimalPlaces?: number;
}

/**
 * `amount` × `rate` as a decimal string. The product is computed exactly and rounded once:
 * to `decimalPlaces` if given, else to 16 significant digits (the precision of a rate, so the
 * result claims no more precision than the rate it comes from). Both half to even.
 * `amount` may be negative; both strings are plain decimals (no exponent, no grouping).
 * Throws RangeError for a malformed amount (callers validate it) and UnusableRateError (a 422
 * DomainError) for a rate it cannot use, e.g. a stored rate over 60 significant digits.
 */
export function convert(amount: string, rate: string, options: ConvertOptions = {}): string {
  if (
    typeof amount !== 'string' ||
    !AMOUNT.test(amount) ||
    significantDigits(amount) > MAX_DIGITS
  ) {
    throw new RangeError(`not a decimal amount: ${JSON.stringify(String(amount).slice(0, 40))}`);
  }
  if (!isRate(rate)) throw new UnusableRateError(rate, 'is not a positive decimal');
  if (significantDigits(rate) > MAX_DIGITS) {
    throw new UnusableRateError(
      rate,
      `has ${significantDigits(rate)} significant digits, more than the ${MAX_DIGITS} a conversion accepts`,
    );
  }
  const product = new Exact(amount).mul(rate);
  const { decimalPlaces } = options;
  if (decimalPlaces !== undefined) {
    if (!Number.isInteger(decimalPlaces) || decimalPlaces < 0 || decimalPlaces > 40) {
      throw new RangeError(`decimalPlaces must be an integer 0-40: ${decimalPlaces}`);
    }
    return normaliseZero(product.toFixed(decimalPlaces, Decimal.ROUND_HALF_EVEN));
  }
  return normaliseZero(
    product.toSignificantDigits(RATE_SIGNIFICANT_DIGITS, Decimal.ROUND_HALF_EVEN).toFixed(),
  );
}

function significantDigits(value: string): number {
  return value.replace(/[-.]/g, '').replace(/^0+/, '').length;
}

/** '-0' / '-0.00' (a tiny negative amount rounded away) → '0' / '0.00'. */
function normaliseZero(value: string): string {
  return /^-0(?:\.0+)?$/.test(value) ? value.slice(1) : value;
}
