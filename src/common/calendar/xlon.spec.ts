import { exchangeCalendar } from './exchange-calendar';
import { XLON } from './xlon';

/**
 * The bank holidays of England and Wales (every one a weekday: substitutes included), as
 * published by the UK government (gov.uk/bank-holidays and the Royal Proclamations of the
 * one-off days); 2000-2023 also match exchange_calendars' test data (tests/resources/
 * xlon.csv, gerrymanoim/exchange_calendars).
 */
// prettier-ignore
const BANK_HOLIDAYS: Record<number, string> = {
  2000: '01-03 04-21 04-24 05-01 05-29 08-28 12-25 12-26',
  2002: '01-01 03-29 04-01 05-06 06-03 06-04 08-26 12-25 12-26',
  2004: '01-01 04-09 04-12 05-03 05-31 08-30 12-27 12-28',
  2005: '01-03 03-25 03-28 05-02 05-30 08-29 12-26 12-27',
  2009: '01-01 04-10 04-13 05-04 05-25 08-31 12-25 12-28',
  2010: '01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28',
  2011: '01-03 04-22 04-25 04-29 05-02 05-30 08-29 12-26 12-27',
  2012: '01-02 04-06 04-09 05-07 06-04 06-05 08-27 12-25 12-26',
  2016: '01-01 03-25 03-28 05-02 05-30 08-29 12-26 12-27',
  2017: '01-02 04-14 04-17 05-01 05-29 08-28 12-25 12-26',
  2020: '01-01 04-10 04-13 05-08 05-25 08-31 12-25 12-28',
  2021: '01-01 04-02 04-05 05-03 05-31 08-30 12-27 12-28',
  2022: '01-03 04-15 04-18 05-02 06-02 06-03 08-29 09-19 12-26 12-27',
  2023: '01-02 04-07 04-10 05-01 05-08 05-29 08-28 12-25 12-26',
  2024: '01-01 03-29 04-01 05-06 05-27 08-26 12-25 12-26',
  2025: '01-01 04-18 04-21 05-05 05-26 08-25 12-25 12-26',
  2026: '01-01 04-03 04-06 05-04 05-25 08-31 12-25 12-28',
};

describe('XLON (London Stock Exchange)', () => {
  it('is registered with its zone and hours', () => {
    expect(exchangeCalendar('XLON')).toBe(XLON);
    expect(XLON).toMatchObject({
      mic: 'XLON',
      timeZone: 'Europe/London',
      regularClose: '16:30',
      firstDate: '2000-01-01',
    });
  });

  it.each(Object.keys(BANK_HOLIDAYS))('%s: exactly the published bank holidays', (y) => {
    const year = Number(y);
    expect(XLON.holidays(year).map((h) => h.date.slice(5))).toEqual(BANK_HOLIDAYS[year].split(' '));
  });

  it('has 8 bank holidays a year 2000-2026, plus the one-off days', () => {
    const extra: Record<number, number> = { 2002: 1, 2011: 1, 2012: 1, 2022: 2, 2023: 1 };
    for (let year = 2000; year <= 2026; year += 1) {
      expect(XLON.holidays(year)).toHaveLength(8 + (extra[year] ?? 0));
    }
  });

  it('closes on every one-off bank holiday, as a one-off closure', () => {
    for (const date of [
      '1999-12-31', // the Millennium
      '2002-06-03', // Golden Jubilee
      '2011-04-29', // Royal Wedding
      '2012-06-05', // Diamond Jubilee
      '2022-06-03', // Platinum Jubilee
      '2022-09-19', // State Funeral of Queen Elizabeth II
      '2023-05-08', // Coronation of King Charles III
    ]) {
      expect(XLON.day(date)).toMatchObject({ date, open: false, reason: 'closure' });
    }
  });

  it('moves the Early May and Spring bank holidays in their exceptional years', () => {
    expect(XLON.day('2020-05-08')).toMatchObject({
      open: false,
      name: expect.stringContaining('VE Day'),
    });
    expect(XLON.day('2020-05-04').open).toBe(true); // 1st Monday of May 2020: a trading day
    expect(XLON.day('2002-05-27').open).toBe(true);
    expect(XLON.day('2002-06-04')).toMatchObject({ open: false, name: 'Spring bank holiday' });
    expect(XLON.day('2012-05-28').open).toBe(true);
    expect(XLON.day('2012-06-04')).toMatchObject({ open: false, name: 'Spring bank holiday' });
    expect(XLON.day('2022-05-30').open).toBe(true);
    expect(XLON.day('2022-06-02')).toMatchObject({ open: false, name: 'Spring bank holiday' });
  });

  it('gives weekend Christmas, Boxing Day and New Year substitute weekdays', () => {
    // 2021: Christmas on a Saturday, Boxing Day on a Sunday
    expect(XLON.day('2021-12-27')).toMatchObject({ name: 'Christmas Day (substitute day)' });
    expect(XLON.day('2021-12-28')).toMatchObject({ name: 'Boxing Day (substitute day)' });
    // 2022: Christmas on a Sunday
    expect(XLON.day('2022-12-26')).toMatchObject({ name: 'Boxing Day' });
    expect(XLON.day('2022-12-27')).toMatchObject({ name: 'Christmas Day (substitute day)' });
    // 2020: Boxing Day on a Saturday
    expect(XLON.day('2020-12-28')).toMatchObject({ name: 'Boxing Day (substitute day)' });
    expect(XLON.day('2022-01-03')).toMatchObject({ name: "New Year's Day (substitute day)" });
    expect(XLON.day('2023-01-02')).toMatchObject({ name: "New Year's Day (substitute day)" });
  });

  it('closes at 12:30 on Christmas Eve and New Year Eve, or the Friday before a weekend one', () => {
    const half = { open: true, earlyClose: true, close: '12:30' };
    expect(XLON.day('2024-12-24')).toMatchObject({ ...half, name: 'Christmas Eve (early close)' });
    expect(XLON.day('2024-12-31')).toMatchObject({ ...half, name: "New Year's Eve (early close)" });
    expect(XLON.day('2022-12-23')).toMatchObject(half); // 24th a Saturday
    expect(XLON.day('2022-12-30')).toMatchObject(half); // 31st a Saturday
    expect(XLON.day('2023-12-22')).toMatchObject(half); // 24th a Sunday
    expect(XLON.day('2023-12-29')).toMatchObject(half); // 31st a Sunday
    expect(XLON.day('2023-12-28')).toMatchObject({ earlyClose: false, close: '16:30' });
  });
});
