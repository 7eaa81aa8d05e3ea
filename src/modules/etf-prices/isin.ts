/**
 * International Securities Identification Numbers (ISO 6166): 12 characters, a two-letter
 * country code (ISO 3166-1 alpha-2, or XS/EU for international issues), nine capital letters
 * or digits (the national number), then a check digit:
 *
 *   IE00BK5BQT80 (VWCE), US78462F1030 (SPY), DE0005140008 (Deutsche Bank)
 *
 * The check digit is the Luhn digit of the first eleven characters with each letter written
 * as two digits (A = 10 … Z = 35): DE000514000 → 1314000514000 → 8. The country code is
 * checked for shape only, not against the list of countries.
 */

const SHAPE = /^[A-Z]{2}[A-Z0-9]{9}[0-9]$/;

/** Why `value` is not an ISIN (words to follow "isin"), or null when it is one. */
export function isinProblem(value: string): string | null {
  if (value.length !== 12) return `must be 12 characters long, not ${value.length}`;
  if (!/^[A-Z]{2}/.test(value)) {
    return 'must start with a two-letter country code in capital letters (like IE or US)';
  }
  if (!/^[A-Z0-9]{9}$/.test(value.slice(2, 11))) {
    return 'must have capital letters or digits as characters 3 to 11';
  }
  if (!/^[0-9]$/.test(value[11])) return 'must end with a check digit (0-9)';
  const expected = isinCheckDigit(value.slice(0, 11));
  if (value[11] !== expected) {
    return `has the check digit ${value[11]} where ${value.slice(0, 11)} needs ${expected}`;
  }
  return null;
}

/** Whether `value` is an ISIN with the right check digit (capital letters only). */
export function isValidIsin(value: string): boolean {
  return SHAPE.test(value) && isinProblem(value) === null;
}

/** The Luhn check digit of the first eleven characters (capital letters and digits). */
export function isinCheckDigit(body: string): string {
  // Letters become two digits (A = 10 … Z = 35), digits stay.
  const digits = [...body].map((c) => parseInt(c, 36).toString()).join('');
  // Luhn: from the right, every other digit is doubled (starting with the rightmost, since
  // the check digit to come will sit to its right); a doubled digit over 9 loses 9.
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i -= 1, double = !double) {
    let d = digits.charCodeAt(i) - 48;
    if (double) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}
