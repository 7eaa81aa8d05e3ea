import { fixture } from '../../../test/utils/fixtures';
import { exchangeCalendar } from './exchange-calendar';
import { isoWeekday } from './iso-date';
import { XNYS } from './xnys';

/**
 * Every weekday the NYSE was closed, 2000-2026. 2000-2022: the session list of
 * exchange_calendars' test data (tests/resources/xnys.csv, gerrymanoim/exchange_calendars);
 * 2023-2026: the NYSE's published holiday calendars (nyse.com/markets/hours-calendars).
 */
// prettier-ignore
const CLOSED: Record<number, string> = {
  2000: '01-17 02-21 04-21 05-29 07-04 09-04 11-23 12-25',
  2001: '01-01 01-15 02-19 04-13 05-28 07-04 09-03 09-11 09-12 09-13 09-14 11-22 12-25',
  2002: '01-01 01-21 02-18 03-29 05-27 07-04 09-02 11-28 12-25',
  2003: '01-01 01-20 02-17 04-18 05-26 07-04 09-01 11-27 12-25',
  2004: '01-01 01-19 02-16 04-09 05-31 06-11 07-05 09-06 11-25 12-24',
  2005: '01-17 02-21 03-25 05-30 07-04 09-05 11-24 12-26',
  2006: '01-02 01-16 02-20 04-14 05-29 07-04 09-04 11-23 12-25',
  2007: '01-01 01-02 01-15 02-19 04-06 05-28 07-04 09-03 11-22 12-25',
  2008: '01-01 01-21 02-18 03-21 05-26 07-04 09-01 11-27 12-25',
  2009: '01-01 01-19 02-16 04-10 05-25 07-03 09-07 11-26 12-25',
  2010: '01-01 01-18 02-15 04-02 05-31 07-05 09-06 11-25 12-24',
  2011: '01-17 02-21 04-22 05-30 07-04 09-05 11-24 12-26',
  2012: '01-02 01-16 02-20 04-06 05-28 07-04 09-03 10-29 10-30 11-22 12-25',
  2013: '01-01 01-21 02-18 03-29 05-27 07-04 09-02 11-28 12-25',
  2014: '01-01 01-20 02-17 04-18 05-26 07-04 09-01 11-27 12-25',
  2015: '01-01 01-19 02-16 04-03 05-25 07-03 09-07 11-26 12-25',
  2016: '01-01 01-18 02-15 03-25 05-30 07-04 09-05 11-24 12-26',
  2017: '01-02 01-16 02-20 04-14 05-29 07-04 09-04 11-23 12-25',
  2018: '01-01 01-15 02-19 03-30 05-28 07-04 09-03 11-22 12-05 12-25',
  2019: '01-01 01-21 02-18 04-19 05-27 07-04 09-02 11-28 12-25',
  2020: '01-01 01-20 02-17 04-10 05-25 07-03 09-07 11-26 12-25',
  2021: '01-01 01-18 02-15 04-02 05-31 07-05 09-06 11-25 12-24',
  2022: '01-17 02-21 04-15 05-30 06-20 07-04 09-05 11-24 12-26',
  2023: '01-02 01-16 02-20 04-07 05-29 06-19 07-04 09-04 11-23 12-25',
  2024: '01-01 01-15 02-19 03-29 05-27 06-19 07-04 09-02 11-28 12-25',
  2025: '01-01 01-09 01-20 02-17 04-18 05-26 06-19 07-04 09-01 11-27 12-25',
  2026: '01-01 01-19 02-16 04-03 05-25 06-19 07-03 09-07 11-26 12-25',
};

/** Every 13:00 early close, 2000-2026 (same sources). */
// prettier-ignore
const EARLY: Record<number, string> = {
  2000: '07-03 11-24', 2001: '07-03 11-23 12-24', 2002: '07-05 11-29 12-24',
  2003: '07-03 11-28 12-24 12-26', 2004: '11-26', 2005: '11-25', 2006: '07-03 11-24',
  2007: '07-03 11-23 12-24', 2008: '07-03 11-28 12-24', 2009: '11-27 12-24', 2010: '11-26',
  2011: '11-25', 2012: '07-03 11-23 12-24', 2013: '07-03 11-29 12-24',
  2014: '07-03 11-28 12-24', 2015: '11-27 12-24', 2016: '11-25', 2017: '07-03 11-24',
  2018: '07-03 11-23 12-24', 2019: '07-03 11-29 12-24', 2020: '11-27 12-24', 2021: '11-26',
  2022: '11-25', 2023: '07-03 11-24', 2024: '07-03 11-29 12-24', 2025: '07-03 11-28 12-24',
  2026: '11-27 12-24',
};

/** The dates of a price fixture (the date part of `Date` or `Datetime`), sorted. */
function fixtureDates(file: string): string[] {
  const [header, ...rows] = fixture('prices', file).toString('utf8').trim().split(/\r?\n/);
  const column = header.split(',').findIndex((h) => h === 'Date' || h === 'Datetime');
  return [...new Set(rows.map((row) => row.split(',')[column].slice(0, 10)))].sort();
}

describe('XNYS (New York Stock Exchange)', () => {
  it('is registered with its zone and hours', () => {
    expect(exchangeCalendar('XNYS')).toBe(XNYS);
    expect(XNYS).toMatchObject({
      mic: 'XNYS',
      name: 'New York Stock Exchange',
      timeZone: 'America/New_York',
      regularClose: '16:00',
      firstDate: '2000-01-01',
    });
  });

  it.each(Object.keys(CLOSED))('%s: exactly the published weekday closures', (y) => {
    const year = Number(y);
    expect(XNYS.holidays(year).map((h) => h.date.slice(5))).toEqual(CLOSED[year].split(' '));
  });

  it.each(Object.keys(EARLY))('%s: exactly the published 13:00 early closes', (y) => {
    const year = Number(y);
    const early = XNYS.tradingDays(`${year}-01-01`, `${year}-12-31`)
      .map((date) => XNYS.day(date))
      .filter((day) => day.open && day.earlyClose);
    expect(early.map((day) => day.date.slice(5))).toEqual(EARLY[year].split(' '));
    for (const day of early)
      expect(day).toMatchObject({ close: '13:00', name: expect.any(String) });
  });

  it('closes on the one-off dates, as one-off closures', () => {
    for (const date of [
      '2001-09-11',
      '2001-09-12',
      '2001-09-13',
      '2001-09-14',
      '2004-06-11',
      '2007-01-02',
      '2012-10-29',
      '2012-10-30',
      '2018-12-05',
      '2025-01-09',
    ]) {
      expect(XNYS.day(date)).toMatchObject({ date, open: false, reason: 'closure' });
    }
    expect(XNYS.day('2025-01-09')).toMatchObject({ name: expect.stringContaining('Carter') });
  });

  it('takes no Friday off when New Year falls on a Saturday, and Monday when on a Sunday', () => {
    for (const date of ['2004-12-31', '2010-12-31', '2021-12-31']) {
      expect(XNYS.day(date)).toEqual({ date, open: true, close: '16:00', earlyClose: false });
    }
    expect(XNYS.day('2017-01-02')).toMatchObject({ open: false, reason: 'holiday' });
    expect(XNYS.day('2023-01-02')).toMatchObject({ name: "New Year's Day (observed)" });
  });

  it('observes Juneteenth from 2022 only, and moves it off weekends', () => {
    expect(XNYS.day('2021-06-18').open).toBe(true); // 19 June 2021 was a Saturday
    expect(XNYS.day('2022-06-20')).toMatchObject({
      open: false,
      name: expect.stringContaining('Juneteenth'),
    });
    expect(XNYS.day('2026-06-19')).toMatchObject({ open: false, reason: 'holiday' });
    expect(XNYS.day('2027-06-18')).toMatchObject({ open: false, reason: 'holiday' }); // Saturday 19th
  });

  it('moves Independence Day and Christmas off weekends (Saturday → Friday, Sunday → Monday)', () => {
    expect(XNYS.day('2020-07-03')).toMatchObject({
      open: false,
      name: 'Independence Day (observed)',
    });
    expect(XNYS.day('2021-07-05')).toMatchObject({
      open: false,
      name: 'Independence Day (observed)',
    });
    expect(XNYS.day('2021-12-24')).toMatchObject({ open: false, name: 'Christmas Day (observed)' });
    expect(XNYS.day('2022-12-26')).toMatchObject({ open: false, name: 'Christmas Day (observed)' });
  });

  it('has no early close on the Friday after a Thursday Christmas except in 2003', () => {
    expect(XNYS.day('2003-12-26')).toMatchObject({ open: true, earlyClose: true, close: '13:00' });
    for (const date of ['2008-12-26', '2014-12-26', '2025-12-26']) {
      expect(XNYS.day(date)).toMatchObject({ open: true, earlyClose: false, close: '16:00' });
    }
  });

  it('moved the early close of a Thursday 4 July from Friday 5th to Wednesday 3rd in 2013', () => {
    expect(XNYS.day('2002-07-03')).toMatchObject({ earlyClose: false });
    expect(XNYS.day('2002-07-05')).toMatchObject({ earlyClose: true, close: '13:00' });
    expect(XNYS.day('2013-07-03')).toMatchObject({ earlyClose: true, close: '13:00' });
    expect(XNYS.day('2013-07-05')).toMatchObject({ earlyClose: false });
    expect(XNYS.day('2019-07-03')).toMatchObject({ earlyClose: true });
    expect(XNYS.day('2020-07-02')).toMatchObject({ earlyClose: false }); // 3 July was the holiday
  });

  describe('against real SPY and EWG daily prices (test/fixtures/prices)', () => {
    it.each(['spy-2010-yahoofinance.csv', 'spy-2011-yahoofinance.csv', 'EWG-1d-no-bad-divs.csv'])(
      '%s: its dates are exactly the trading days from its first to its last date',
      (file) => {
        const dates = fixtureDates(file);
        expect(dates.length).toBeGreaterThan(200);
        expect(dates).toEqual(XNYS.tradingDays(dates[0], dates[dates.length - 1]));
      },
    );

    it('the files cover the dates that need care', () => {
      const spy2010 = fixtureDates('spy-2010-yahoofinance.csv');
      expect(spy2010).toContain('2010-12-31'); // New Year 2011 on a Saturday: no Friday off
      expect(spy2010).not.toContain('2010-12-24'); // Christmas on a Saturday: the Friday off
      const ewg = fixtureDates('EWG-1d-no-bad-divs.csv');
      expect(ewg).not.toContain('2022-06-20'); // the first Juneteenth
      expect(ewg).not.toContain('2023-01-02');
      expect(isoWeekday(ewg[0])).toBe(1);
    });
  });
});
