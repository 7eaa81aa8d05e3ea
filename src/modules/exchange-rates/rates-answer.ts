/**
 * The read side's reasoning, pure: given the requested date and the last publication stored on
 * or before it (one ECB day: units of each currency for one euro, as stored), what the answer
 * of `GET /exchange-rates` and `/exchange-rates/convert` is. No database, no clock: the query
 * service (exchange-rates.query.ts) reads the day and calls these.
 *
 * - **Fallback.** A requested date without a publication is answered with the last one before
 *   it, saying why: `weekend` or `target_holiday` (the TARGET calendar) when that publication
 *   is the one the calendar expects, else `not_yet_published` (an open TARGET day, or an
 *   earlier expected day, with no rates stored: today before about 16:00 Berlin, or a day not
 *   fetched yet).
 * - **Never carried forward.** A currency is answered only if the ECB is expected to have a
 *   rate for it on the *requested* date (currency-life.ts) and the effective day has one: HRK's
 *   Friday 2022-12-30 rate does not stand for Saturday 2022-12-31 (HRK ended with that Friday).
 *   Otherwise it is listed in `unavailable` with why and its last date.
 * - **Cross rates** come from the effective day's two euro legs (cross-rate.ts); decimal strings
 *   only, never a JavaScript number.
 */
import { DomainError } from '../../common/http/domain-error';
import { convert, crossRate, type EuroLeg } from './cross-rate';
import { CURRENCY_LIVES, currencyStatus, type EndReason } from './currency-life';
import type { EcbDay } from './ecb-format';
import { isTargetClosed, type IsoDate, publicationDayOnOrBefore } from './target-calendar';

export type FallbackReason = 'weekend' | 'target_holiday' | 'not_yet_published';

export interface Fallback {
  reason: FallbackReason;
  /** The closing day's name ('Saturday', 'Good Friday', …); null for not_yet_published. */
  name: string | null;
}

/**
 * Why a currency has no rate in an answer: it stopped being published (EndReason, with its
 * last date), it was introduced after the date (`not_yet_introduced`), or the ECB is expected
 * to publish it but the effective day stored none (`not_published`).
 */
export type UnavailableReason = EndReason | 'not_yet_introduced' | 'not_published';

export const UNAVAILABLE_REASONS: readonly UnavailableReason[] = [
  'euro_adopted',
  'redenominated',
  'suspended',
  'gap',
  'not_yet_introduced',
  'not_published',
];

export interface Unavailable {
  currency: string;
  /** The last day the ECB published it (currency-life.ts); null when unknown or never. */
  lastDate: IsoDate | null;
  reason: UnavailableReason;
}

export interface RatesAnswer {
  requestedDate: IsoDate;
  effectiveDate: IsoDate;
  base: string;
  /** Quote currency → units of it for one `base`, a decimal string. */
  rates: Record<string, string>;
  fallback: Fallback | null;
  unavailable: Unavailable[];
}

export interface LegView {
  /** The currency of this euro leg: units of it for one euro on the effective date. */
  currency: string;
  rate: string;
}

export interface ConversionAnswer {
  amount: string;
  from: string;
  to: string;
  /** Units of `to` for one `from` on the effective date. */
  rate: string;
  result: string;
  requestedDate: IsoDate;
  effectiveDate: IsoDate;
  fallback: Fallback | null;
  /** The euro legs the rate comes from; null for the euro itself (its leg is 1). */
  legs: { from: LegView | null; to: LegView | null };
}

const CODE = /^[A-Z]{3}$/;
/** A plain decimal amount: optional minus, no leading zeros, no exponent, no grouping. */
export const AMOUNT_PATTERN = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;
export const AMOUNT_MAX_LENGTH = 40;

/** Whether the ECB has ever published `currency` (or it is the euro). */
export function isKnownCurrency(currency: string): boolean {
  return currency === 'EUR' || Object.hasOwn(CURRENCY_LIVES, currency);
}

/** Why the answer for `requested` comes from `effective` (null when they are the same day). */
export function fallbackFor(requested: IsoDate, effective: IsoDate): Fallback | null {
  if (effective >= requested) return null;
  const expected = publicationDayOnOrBefore(requested);
  // A publication day between the effective one and the requested date has no rates stored.
  if (expected !== null && expected > effective) return { reason: 'not_yet_published', name: null };
  const day = isTargetClosed(requested);
  return day.closed
    ? { reason: day.reason, name: day.name }
    : { reason: 'not_yet_published', name: null };
}

export type Availability =
  | { available: true; rate: string }
  | { available: false; unavailable: Unavailable }
  | { available: false; unknown: true };

/**
 * Whether `currency` (not the euro) is answered for `requested` from `day`: the ECB must be
 * expected to publish it on the requested date and the day must hold its rate.
 */
export function availability(currency: string, requested: IsoDate, day: EcbDay): Availability {
  const stored = Object.hasOwn(day.rates, currency) ? day.rates[currency] : undefined;
  const status = currencyStatus(currency, requested);
  if (status.expected) {
    if (stored !== undefined) return { available: true, rate: stored };
    return {
      available: false,
      unavailable: { currency, lastDate: null, reason: 'not_published' },
    };
  }
  switch (status.reason) {
    case 'not_an_ecb_currency':
      // Stored but not in currency-life's list (a currency the ECB added since): answered.
      return stored !== undefined
        ? { available: true, rate: stored }
        : { available: false, unknown: true };
    case 'not_yet':
    case 'before_history':
      return {
        available: false,
        unavailable: { currency, lastDate: null, reason: 'not_yet_introduced' },
      };
    default:
      return {
        available: false,
        unavailable: { currency, lastDate: status.lastPublished, reason: status.reason },
      };
  }
}

function unknownCurrencies(field: string, codes: string[]): DomainError {
  return new DomainError('INVALID_INPUT', `unknown currency: ${codes.join(', ')}`, {
    errors: codes.map((code) => ({
      field,
      message: `${code} is not a currency the ECB publishes`,
    })),
  });
}

function checkCodes(field: string, codes: string[]): void {
  const bad = codes.filter((c) => !CODE.test(c));
  if (bad.length) {
    throw new DomainError('INVALID_INPUT', `not a currency code: ${bad.join(', ')}`, {
      errors: bad.map((c) => ({
        field,
        message: `${JSON.stringify(c.slice(0, 20))} is not a currency code (three capital letters)`,
      })),
    });
  }
}

/**
 * 400 for a malformed or unknown code, before anything is read. A code not in currency-life's
 * list may still be known to the stored day: the caller passes it to `rejectUnknown` after.
 */
export function checkRequestCodes(fields: Record<string, string[]>): void {
  for (const [field, codes] of Object.entries(fields)) checkCodes(field, codes);
}

/** 400 for codes neither the list nor `day` knows. */
export function rejectUnknown(fields: Record<string, string[]>, day: EcbDay | null): void {
  for (const [field, codes] of Object.entries(fields)) {
    const unknown = codes.filter(
      (c) => !isKnownCurrency(c) && !(day && Object.hasOwn(day.rates, c)),
    );
    if (unknown.length) throw unknownCurrencies(field, [...new Set(unknown)]);
  }
}

function noPublication(requested: IsoDate): DomainError {
  return new DomainError(
    'NOT_FOUND',
    `no ECB reference rates are stored for ${requested} or any day before it`,
  );
}

function describeUnavailable(u: Unavailable, requested: IsoDate, effective: IsoDate): string {
  switch (u.reason) {
    case 'not_published':
      return `the ECB rates of ${effective} stored here have no ${u.currency} rate`;
    case 'not_yet_introduced':
      return `the ECB did not publish ${u.currency} yet on ${requested}`;
    default:
      return `the ECB last published ${u.currency} on ${u.lastDate} (${u.reason.replace('_', ' ')}); it has no rate for ${requested}`;
  }
}

/** The euro leg of a currency usable on `requested`, or a 404 saying why there is none. */
function usableLeg(currency: string, requested: IsoDate, day: EcbDay): void {
  if (currency === 'EUR') return;
  const a = availability(currency, requested, day);
  if (a.available) return;
  if ('unknown' in a) throw unknownCurrencies('currency', [currency]);
  throw new DomainError('NOT_FOUND', describeUnavailable(a.unavailable, requested, day.date));
}

/**
 * `GET /exchange-rates`: `day` is the last publication stored on or before `requested` (null
 * when none: 404). `symbols` null means every currency of the day, plus the euro for another
 * base, and every currency that stopped being published by `requested` in `unavailable`.
 */
export function ratesAnswer(
  requested: IsoDate,
  base: string,
  symbols: string[] | null,
  day: EcbDay | null,
): RatesAnswer {
  rejectUnknown({ base: [base], symbols: symbols ?? [] }, day);
  if (!day) throw noPublication(requested);
  usableLeg(base, requested, day);
  const quotes = symbols
    ? [...new Set(symbols)]
    : [...Object.keys(day.rates), 'EUR'].filter((c) => c !== base);
  const rates: Record<string, string> = {};
  const unavailable: Unavailable[] = [];
  for (const quote of quotes.sort()) {
    if (quote === 'EUR' || quote === base) {
      rates[quote] = crossRate(day, base, quote).rate;
      continue;
    }
    const a = availability(quote, requested, day);
    if (a.available) rates[quote] = crossRate(day, base, quote).rate;
    else if ('unavailable' in a) unavailable.push(a.unavailable);
  }
  if (!symbols) {
    // Every currency the ECB stopped publishing by the requested date (absent from the day, or
    // present on an earlier effective day but ended before the requested one: listed above).
    for (const currency of Object.keys(CURRENCY_LIVES).sort()) {
      if (currency === base || quotes.includes(currency)) continue;
      const a = availability(currency, requested, day);
      if (!a.available && 'unavailable' in a && a.unavailable.lastDate !== null) {
        unavailable.push(a.unavailable);
      }
    }
    unavailable.sort((x, y) => (x.currency < y.currency ? -1 : 1));
  }
  return {
    requestedDate: requested,
    effectiveDate: day.date,
    base,
    rates,
    fallback: fallbackFor(requested, day.date),
    unavailable,
  };
}

function legView(leg: EuroLeg | null): LegView | null {
  return leg ? { currency: leg.currency, rate: leg.rate } : null;
}

/**
 * `GET /exchange-rates/convert`: `amount` (a plain decimal string) of `from` in `to`, at the
 * cross rate of the last publication on or before `requested`. The result is the exact product
 * rounded once, half to even, to 16 significant digits (cross-rate.ts convert).
 */
export function conversionAnswer(
  requested: IsoDate,
  from: string,
  to: string,
  amount: string,
  day: EcbDay | null,
): ConversionAnswer {
  rejectUnknown({ from: [from], to: [to] }, day);
  if (!day) throw noPublication(requested);
  usableLeg(from, requested, day);
  usableLeg(to, requested, day);
  const cross = crossRate(day, from, to);
  return {
    amount,
    from,
    to,
    rate: cross.rate,
    result: convert(amount, cross.rate),
    requestedDate: requested,
    effectiveDate: day.date,
    fallback: fallbackFor(requested, day.date),
    legs: { from: legView(cross.legs.base), to: legView(cross.legs.quote) },
  };
}

/** Whether `value` is an amount convert accepts: a plain decimal of bounded length. */
export function isAmount(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length <= AMOUNT_MAX_LENGTH && AMOUNT_PATTERN.test(value)
  );
}

// en-CA formats as YYYY-MM-DD. Built once: constructing a formatter costs about 0.2 ms.
const BERLIN_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Berlin',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date in Europe/Berlin (the ECB's day), 'YYYY-MM-DD'. */
export function berlinToday(now: Date = new Date()): IsoDate {
  return BERLIN_DATE.format(now);
}
