import { DomainError } from '../../common/http/domain-error';
import type { EcbDay } from './ecb-format';
import {
  availability,
  berlinToday,
  conversionAnswer,
  fallbackFor,
  isAmount,
  ratesAnswer,
} from './rates-answer';

const ISSUE_DAY: EcbDay = {
  date: '2023-02-21',
  rates: { USD: '1.0664', GBP: '0.87925', JPY: '143.76' },
};
// The last HRK rate (Friday) and the first day after it.
const LAST_HRK: EcbDay = {
  date: '2022-12-30',
  rates: { USD: '1.0666', GBP: '0.88693', HRK: '7.5365' },
};

function domainError(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('no DomainError thrown');
}

describe('fallbackFor: why a date is answered with an earlier publication', () => {
  it.each([
    // requested, effective, reason, name
    ['2023-02-21', '2023-02-21', null, null],
    ['2023-02-25', '2023-02-24', 'weekend', 'Saturday'],
    ['2023-02-26', '2023-02-24', 'weekend', 'Sunday'],
    ['2023-12-25', '2023-12-22', 'target_holiday', 'Christmas Day'],
    ['2023-12-26', '2023-12-22', 'target_holiday', 'Christmas Holiday (26 December)'],
    ['2018-03-30', '2018-03-29', 'target_holiday', 'Good Friday'],
    ['2018-04-02', '2018-03-29', 'target_holiday', 'Easter Monday'],
    // An open TARGET day without rates: not published yet (or not fetched).
    ['2024-02-28', '2024-02-27', 'not_yet_published', null],
    // A weekend whose Friday is missing: the Friday is the missing publication.
    ['2024-03-02', '2024-02-29', 'not_yet_published', null],
    // A holiday after a missing day.
    ['2023-12-25', '2023-12-21', 'not_yet_published', null],
  ])('%s answered by %s: %s', (requested, effective, reason, name) => {
    expect(fallbackFor(requested, effective)).toEqual(reason === null ? null : { reason, name });
  });
});

describe('availability: never carried forward past a last publication', () => {
  it('a stored rate on the requested day is answered', () => {
    expect(availability('HRK', '2022-12-30', LAST_HRK)).toEqual({
      available: true,
      rate: '7.5365',
    });
  });

  it("HRK's Friday rate does not stand for the Saturday after its last publication", () => {
    expect(availability('HRK', '2022-12-31', LAST_HRK)).toEqual({
      available: false,
      unavailable: { currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' },
    });
  });

  it('the ISK gap, RUB suspended, TRY before it existed, a missing expected rate', () => {
    const day: EcbDay = { date: '2016-06-01', rates: { USD: '1.1' } };
    expect(availability('ISK', '2016-06-01', day)).toMatchObject({
      unavailable: { lastDate: '2008-12-09', reason: 'gap' },
    });
    expect(availability('RUB', '2022-03-02', day)).toMatchObject({
      unavailable: { lastDate: '2022-03-01', reason: 'suspended' },
    });
    expect(availability('TRY', '2004-06-01', day)).toMatchObject({
      unavailable: { lastDate: null, reason: 'not_yet_introduced' },
    });
    expect(availability('GBP', '2016-06-01', day)).toMatchObject({
      unavailable: { lastDate: null, reason: 'not_published' },
    });
  });

  it('a code not in the list: answered if stored, else unknown', () => {
    const day: EcbDay = { date: '2026-04-01', rates: { XYZ: '2' } };
    expect(availability('XYZ', '2026-04-01', day)).toEqual({ available: true, rate: '2' });
    expect(availability('ABC', '2026-04-01', day)).toEqual({ available: false, unknown: true });
  });
});

describe('ratesAnswer', () => {
  it('EUR base: the stored strings, sorted; EUR itself not listed', () => {
    expect(ratesAnswer('2023-02-21', 'EUR', null, ISSUE_DAY)).toEqual({
      requestedDate: '2023-02-21',
      effectiveDate: '2023-02-21',
      base: 'EUR',
      rates: { GBP: '0.87925', JPY: '143.76', USD: '1.0664' },
      fallback: null,
      unavailable: expect.arrayContaining([
        { currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' },
        { currency: 'RUB', lastDate: '2022-03-01', reason: 'suspended' },
      ]),
    });
  });

  it('another base: cross rates from the same legs, EUR included', () => {
    const answer = ratesAnswer('2023-02-21', 'USD', ['GBP', 'EUR', 'USD'], ISSUE_DAY);
    expect(answer.rates).toEqual({
      EUR: '0.9377344336084021',
      GBP: '0.8245030007501875',
      USD: '1',
    });
    expect(answer.unavailable).toEqual([]);
  });

  it('a weekend after the last HRK day: HRK unavailable with its last date, no carry-forward', () => {
    const answer = ratesAnswer('2022-12-31', 'EUR', ['USD', 'HRK'], LAST_HRK);
    expect(answer).toEqual({
      requestedDate: '2022-12-31',
      effectiveDate: '2022-12-30',
      base: 'EUR',
      rates: { USD: '1.0666' },
      fallback: { reason: 'weekend', name: 'Saturday' },
      unavailable: [{ currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' }],
    });
    // Without symbols, HRK is listed once, as unavailable.
    const all = ratesAnswer('2022-12-31', 'EUR', null, LAST_HRK);
    expect(all.rates).toEqual({ GBP: '0.88693', USD: '1.0666' });
    expect(all.unavailable.filter((u) => u.currency === 'HRK')).toHaveLength(1);
  });

  it('404 without any publication; 400 for an unknown code, first', () => {
    expect(domainError(() => ratesAnswer('1998-12-31', 'EUR', null, null)).code).toBe('NOT_FOUND');
    const bad = domainError(() => ratesAnswer('1998-12-31', 'EUR', ['USD', 'XYZ'], null));
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.extensions.errors).toEqual([
      { field: 'symbols', message: 'XYZ is not a currency the ECB publishes' },
    ]);
  });

  it('a base without a rate on the date is a 404 saying why', () => {
    const err = domainError(() => ratesAnswer('2022-12-31', 'HRK', null, LAST_HRK));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toMatch(/HRK on 2022-12-30/);
  });
});

describe('conversionAnswer', () => {
  it('the issue’s example: 100 USD in GBP, legs named', () => {
    expect(conversionAnswer('2023-02-21', 'USD', 'GBP', '100', ISSUE_DAY)).toEqual({
      amount: '100',
      from: 'USD',
      to: 'GBP',
      rate: '0.8245030007501875',
      result: '82.45030007501875',
      requestedDate: '2023-02-21',
      effectiveDate: '2023-02-21',
      fallback: null,
      legs: { from: { currency: 'USD', rate: '1.0664' }, to: { currency: 'GBP', rate: '0.87925' } },
    });
    expect(conversionAnswer('2023-02-21', 'EUR', 'GBP', '-2.5', ISSUE_DAY)).toMatchObject({
      rate: '0.87925',
      result: '-2.198125',
      legs: { from: null, to: { currency: 'GBP', rate: '0.87925' } },
    });
  });

  it('a currency ended before the date is a 404', () => {
    expect(
      domainError(() => conversionAnswer('2022-12-31', 'HRK', 'EUR', '1', LAST_HRK)).code,
    ).toBe('NOT_FOUND');
  });
});

describe('isAmount and berlinToday', () => {
  it.each(['0', '100', '-2.5', '0.000001', '123456789012345678901234567890.123456789'])(
    'accepts %s',
    (value) => expect(isAmount(value)).toBe(true),
  );
  it.each(['', '1e5', '01', '1.', '.5', '+1', '1,000', ' 1', 'NaN', '1'.repeat(41)])(
    'refuses %j',
    (value) => expect(isAmount(value)).toBe(false),
  );
  it('is the date in Berlin', () => {
    expect(berlinToday(new Date('2026-03-31T22:30:00Z'))).toBe('2026-04-01');
    expect(berlinToday(new Date('2026-01-01T22:59:59Z'))).toBe('2026-01-01');
  });
});
