import { ISO_4217_CODES } from '../uploads/datasets/iso-4217';

/**
 * Minor units exchanges quote in, by their usual codes: London quotes many ETFs in pence
 * (`GBX`, also written `GBp`), Johannesburg in cents (`ZAC`), Tel Aviv in agorot (`ILA`).
 * A price in a minor unit is 1/100 of the currency: reading pence as pounds is the 100x
 * error the `jump_100x` flag exists for.
 */
export const MINOR_UNITS: Readonly<Record<string, { currency: string; aliases: string[] }>> = {
  GBX: { currency: 'GBP', aliases: ['GBp'] },
  ZAC: { currency: 'ZAR', aliases: ['ZAc'] },
  ILA: { currency: 'ILS', aliases: [] },
};

/** Whether `code` is an ISO 4217 currency in use. */
export function isCurrency(code: string): boolean {
  return ISO_4217_CODES.has(code);
}

/** The canonical quote unit of `unit` (`GBp` → `GBX`), or null for an unknown one. */
export function canonicalQuoteUnit(unit: string): string | null {
  if (isCurrency(unit)) return unit;
  for (const [code, minor] of Object.entries(MINOR_UNITS)) {
    if (unit === code || minor.aliases.includes(unit)) return code;
  }
  return null;
}

/** Why `unit` cannot quote prices of `currency`, or null when it can. */
export function quoteUnitProblem(unit: string, currency: string): string | null {
  const canonical = canonicalQuoteUnit(unit);
  if (canonical === null) {
    return 'must be the trading currency or its minor unit (GBX or GBp for GBP, ZAC for ZAR, ILA for ILS)';
  }
  const of = MINOR_UNITS[canonical]?.currency ?? canonical;
  return of === currency ? null : `${unit} does not quote ${currency} prices`;
}
