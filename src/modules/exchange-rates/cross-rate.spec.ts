import { Readable } from 'node:stream';
import { Decimal } from 'decimal.js';
import { fixture } from '../../../test/utils/fixtures';
import { type EcbDay, EcbFormatError } from './ecb-format';
import { readEcbXml } from './ecb-xml';
import { DomainError } from '../../common/http/domain-error';
import { convert, crossRate, RateNotPublishedError, UnusableRateError } from './cross-rate';
import { conversionAnswer } from './rates-answer';

const ISSUE_DAY: EcbDay = { date: '2023-02-21', rates: { USD: '1.0664', GBP: '0.87925' } };

/** A decimal string as an exact fraction n / 10^k (BigInt), to check rounding independently. */
function fraction(value: string): { n: bigint; k: number } {
  const [int, frac = ''] = value.split('.');
  return { n: BigInt(int + frac), k: frac.length };
}

/**
 * Whether `rate` is a / b correctly rounded, half to even, to 16 significant digits: it has at
 * most 16 significant digits and its distance to the exact quotient is below half a unit in
 * the 16th digit (or exactly half, with an even last digit).
 */
function isCorrectlyRounded(rate: string, a: string, b: string): boolean {
  const r = fraction(rate);
  const x = fraction(a);
  const y = fraction(b);
  const digits = r.n.toString().length;
  if (digits > 16) return false;
  // exact quotient q = (x.n / 10^x.k) / (y.n / 10^y.k); compare |r - q| with ulp / 2, where
  // ulp = 10^(digits - 16 - r.k) if the rate uses all 16 digits (else it is exact or shorter).
  // Scale everything to integers: work with r * y.n * 10^x.k * 10^r.k ... via a common denominator.
  const scale = 10n ** BigInt(40);
  const q = (x.n * 10n ** BigInt(y.k) * scale) / (y.n * 10n ** BigInt(x.k)); // q × 10^40, truncated
  const rq = (r.n * scale) / 10n ** BigInt(r.k); // r × 10^40
  const ulpExp = BigInt(r.n.toString().length) - 16n - BigInt(r.k); // ulp = 10^ulpExp
  const halfUlp = ulpExp + 40n >= 1n ? 5n * 10n ** (ulpExp + 40n - 1n) : 0n;
  const diff = rq > q ? rq - q : q - rq;
  // the quotient was truncated at 10^-40: allow that one unit
  return diff <= halfUlp + 1n && (digits < 16 || diff < halfUlp - 1n || r.n % 2n === 0n);
}

describe('crossRate: the issue’s example, 2023-02-21 (USD 1.0664, GBP 0.87925)', () => {
  it('USD→GBP and GBP→USD at 16 significant digits, half to even, from the same legs', () => {
    const usdGbp = crossRate(ISSUE_DAY, 'USD', 'GBP');
    const gbpUsd = crossRate(ISSUE_DAY, 'GBP', 'USD');
    expect(usdGbp.rate).toBe('0.8245030007501875');
    expect(gbpUsd.rate).toBe('1.212851862382713');
    expect(usdGbp.legs).toEqual({
      base: { currency: 'USD', rate: '1.0664' },
      quote: { currency: 'GBP', rate: '0.87925' },
    });
    expect(gbpUsd.legs).toEqual({ base: usdGbp.legs.quote, quote: usdGbp.legs.base });
    expect(usdGbp).toMatchObject({
      date: '2023-02-21',
      base: 'USD',
      quote: 'GBP',
      published: false,
    });
  });

  it('EUR→X is the published rate exactly; X→EUR is 1/rate rounded; X→X is 1', () => {
    expect(crossRate(ISSUE_DAY, 'EUR', 'USD')).toEqual({
      date: '2023-02-21',
      base: 'EUR',
      quote: 'USD',
      rate: '1.0664',
      legs: { base: null, quote: { currency: 'USD', rate: '1.0664' } },
      published: true,
    });
    expect(crossRate(ISSUE_DAY, 'USD', 'EUR').rate).toBe('0.9377344336084021');
    expect(crossRate(ISSUE_DAY, 'GBP', 'EUR').rate).toBe('1.137332954222349');
    expect(crossRate(ISSUE_DAY, 'GBP', 'GBP')).toMatchObject({ rate: '1', published: true });
    expect(crossRate(ISSUE_DAY, 'EUR', 'EUR')).toMatchObject({
      rate: '1',
      legs: { base: null, quote: null },
    });
  });

  it('keeps a published string as it is, trailing zero included', () => {
    const day: EcbDay = { date: '2024-02-27', rates: { GBP: '0.85620', JPY: '163.10' } };
    expect(crossRate(day, 'EUR', 'GBP').rate).toBe('0.85620');
    expect(crossRate(day, 'GBP', 'JPY').rate).toBe(
      new Decimal('163.10')
        .div('0.8562')
        .toSignificantDigits(16, Decimal.ROUND_HALF_EVEN)
        .toFixed(),
    );
  });
});

describe('crossRate rounding', () => {
  it('rounds a tie to the even digit (not half up)', () => {
    const day: EcbDay = {
      date: '2023-02-21',
      rates: { AAA: '2', BBB: '1.0000000000000005', CCC: '1.0000000000000007' },
    };
    // 1.0000000000000005 / 2 = 0.50000000000000025 exactly: the 16th digit 2 is even
    expect(crossRate(day, 'AAA', 'BBB').rate).toBe('0.5000000000000002');
    // 0.50000000000000035: rounds up to the even 4
    expect(crossRate(day, 'AAA', 'CCC').rate).toBe('0.5000000000000004');
    expect(crossRate(day, 'BBB', 'AAA').rate).toBe('1.999999999999999');
    // an exact quotient is written without trailing zeros
    expect(crossRate({ date: day.date, rates: { XXA: '4', XXB: '2' } }, 'XXA', 'XXB').rate).toBe(
      '0.5',
    );
  });

  it('never touches the global Decimal configuration', () => {
    crossRate(ISSUE_DAY, 'USD', 'GBP');
    expect(Decimal.precision).toBe(20);
    expect(Decimal.rounding).toBe(Decimal.ROUND_HALF_UP);
  });

  it('is correctly rounded for every pair on every 8th day of a 90-day file, reciprocals included', async () => {
    const days: EcbDay[] = [];
    for await (const day of readEcbXml(
      Readable.from([fixture('ecb', 'eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml')]),
    )) {
      days.push(day);
    }
    let pairs = 0;
    for (const day of days.filter((_, i) => i % 8 === 0)) {
      const codes = Object.keys(day.rates);
      for (const a of codes) {
        for (const b of codes) {
          if (a === b) continue;
          const { rate, legs } = crossRate(day, a, b);
          if (!isCorrectlyRounded(rate, day.rates[b], day.rates[a]))
            throw new Error(`${day.date} ${a}→${b} ${rate}`);
          const back = crossRate(day, b, a);
          if (back.legs.base !== null && back.legs.base.rate !== legs.quote?.rate)
            throw new Error(`${a}↔${b} legs`);
          const product = new Decimal(rate).mul(back.rate);
          if (product.minus(1).abs().gt('1e-15'))
            throw new Error(`${day.date} ${a}↔${b}: ${product.toFixed()}`);
          pairs += 1;
        }
      }
    }
    expect(pairs).toBeGreaterThan(6_000);
  });
});

describe('crossRate errors', () => {
  it('a currency not published that day', () => {
    const day: EcbDay = { date: '2023-01-02', rates: { USD: '1.0683' } };
    expect(() => crossRate(day, 'HRK', 'USD')).toThrow(RateNotPublishedError);
    expect(() => crossRate(day, 'USD', 'HRK')).toThrow(
      'the ECB published no HRK rate on 2023-01-02',
    );
    expect(() => crossRate(day, 'EUR', 'HRK')).toThrow(RateNotPublishedError);
  });

  it('malformed codes and rates, and no inherited keys', () => {
    expect(() => crossRate(ISSUE_DAY, 'usd', 'GBP')).toThrow(RangeError);
    expect(() => crossRate(ISSUE_DAY, 'USD', '__proto__')).toThrow(RangeError);
    const bad: EcbDay = { date: '2023-02-21', rates: { USD: '1e3', GBP: '0.87925' } };
    expect(() => crossRate(bad, 'USD', 'GBP')).toThrow(EcbFormatError);
  });
});

describe('convert', () => {
  it('multiplies exactly and rounds once to 16 significant digits, half to even', () => {
    expect(convert('100', '0.8245030007501875')).toBe('82.45030007501875');
    expect(convert('1234.56', '1.0664')).toBe('1316.534784');
    expect(convert('123456789.123456789', '1.0664')).toBe('131654319.9212543'); // …9212543197896
    expect(convert('-10', '1.5')).toBe('-15');
    expect(convert('0', '1.5')).toBe('0');
    // 0.5000000000000000 5 → the even 0
    expect(convert('1.000000000000000001', '0.5')).toBe('0.5');
  });

  it('to the quote currency’s decimal places, half to even, trailing zeros kept', () => {
    expect(convert('1234.56', '1.0664', { decimalPlaces: 2 })).toBe('1316.53');
    expect(convert('10', '1.5', { decimalPlaces: 2 })).toBe('15.00');
    expect(convert('0.125', '1', { decimalPlaces: 2 })).toBe('0.12');
    expect(convert('0.135', '1', { decimalPlaces: 2 })).toBe('0.14');
    expect(convert('1000', '143.53', { decimalPlaces: 0 })).toBe('143530');
    expect(convert('-0.001', '1.5', { decimalPlaces: 2 })).toBe('0.00');
  });

  it('refuses what is not a plain decimal', () => {
    for (const amount of ['', '1e3', '1,5', '0x10', 'NaN', 'Infinity', ' 1', '+1', '.5', '1.']) {
      expect(() => convert(amount, '1.5')).toThrow(RangeError);
    }
    for (const rate of ['0', '-1.5', '1e3', '', 'Infinity']) {
      expect(() => convert('1', rate)).toThrow(UnusableRateError);
    }
    expect(() => convert('1', '1.5', { decimalPlaces: -1 })).toThrow(RangeError);
    expect(() => convert('1', '1.5', { decimalPlaces: 1.5 })).toThrow(RangeError);
    expect(() => convert(1 as unknown as string, '1.5')).toThrow(RangeError);
  });

  it('a rate over 60 significant digits is a 422 problem (UnusableRateError), not a RangeError', () => {
    const long = `1.${'1'.repeat(70)}`;
    const err = (() => {
      try {
        convert('1', long);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnusableRateError);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'UNPROCESSABLE' });
    expect((err as Error).message).toMatch(/71 significant digits, more than the 60/);
    expect(convert('1', `1.${'1'.repeat(59)}`)).toBe('1.111111111111111');
  });

  it('a stored EUR leg over 60 significant digits: the conversion answers 422, not a 500', () => {
    const day: EcbDay = {
      date: '2023-02-21',
      rates: { USD: `1.${'1'.repeat(70)}`, GBP: '0.87925' },
    };
    expect(() => conversionAnswer('2023-02-21', 'EUR', 'USD', '10', day)).toThrow(
      expect.objectContaining({ code: 'UNPROCESSABLE' }),
    );
    // A computed cross rate is 16 digits: converting with it works.
    expect(conversionAnswer('2023-02-21', 'USD', 'GBP', '10', day).result).toMatch(/^7\.9/);
  });
});
