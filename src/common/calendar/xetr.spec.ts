import { fixture } from '../../../test/utils/fixtures';
import { exchangeCalendar } from './exchange-calendar';
import { XETR } from './xetr';

/**
 * Every weekday Xetra was closed, 2000-2026. 2000-2023: exchange_calendars' test data
 * (tests/resources/xetr.csv, gerrymanoim/exchange_calendars), except 3 October 2000, which
 * it lacks: Deutsche Börse closed that day for the 10th anniversary of German unity
 * (Handelsblatt, "Deutsche Börse: Kein Börsenhandel am 3. Oktober", 2000; Portfolio
 * Performance's calendar). 2024-2026: Xetra's published trading calendars.
 */
// prettier-ignore
const CLOSED: Record<number, string> = {
  2000: '04-21 04-24 05-01 10-03 12-25 12-26',
  2001: '01-01 04-13 04-16 05-01 12-24 12-25 12-26 12-31',
  2002: '01-01 03-29 04-01 05-01 12-24 12-25 12-26 12-31',
  2003: '01-01 04-18 04-21 05-01 12-24 12-25 12-26 12-31',
  2004: '01-01 04-09 04-12 12-24 12-31',
  2005: '03-25 03-28 12-26',
  2006: '04-14 04-17 05-01 12-25 12-26',
  2007: '01-01 04-06 04-09 05-01 05-28 12-24 12-25 12-26 12-31',
  2008: '01-01 03-21 03-24 05-01 12-24 12-25 12-26 12-31',
  2009: '01-01 04-10 04-13 05-01 12-24 12-25 12-31',
  2010: '01-01 04-02 04-05 12-24 12-31',
  2011: '04-22 04-25 12-26',
  2012: '04-06 04-09 05-01 12-24 12-25 12-26 12-31',
  2013: '01-01 03-29 04-01 05-01 12-24 12-25 12-26 12-31',
  2014: '01-01 04-18 04-21 05-01 10-03 12-24 12-25 12-26 12-31',
  2015: '01-01 04-03 04-06 05-01 05-25 12-24 12-25 12-31',
  2016: '01-01 03-25 03-28 05-16 10-03 12-26',
  2017: '04-14 04-17 05-01 06-05 10-03 10-31 12-25 12-26',
  2018: '01-01 03-30 04-02 05-01 05-21 10-03 12-24 12-25 12-26 12-31',
  2019: '01-01 04-19 04-22 05-01 06-10 10-03 12-24 12-25 12-26 12-31',
  2020: '01-01 04-10 04-13 05-01 06-01 12-24 12-25 12-31',
  2021: '01-01 04-02 04-05 05-24 12-24 12-31',
  2022: '04-15 04-18 12-26',
  2023: '04-07 04-10 05-01 12-25 12-26',
  2024: '01-01 03-29 04-01 05-01 12-24 12-25 12-26 12-31',
  2025: '01-01 04-18 04-21 05-01 12-24 12-25 12-26 12-31',
  2026: '01-01 04-03 04-06 05-01 12-24 12-25 12-31',
};

/**
 * Weekdays missing from the VWCE file on which Xetra traded: no holiday, no announced
 * closure (Xetra's newsboard, press) and no other calendar (exchange_calendars, Portfolio
 * Performance, python-holidays) lists them; the prices either side run on without a break.
 * Gaps of the data vendor, not closures: the calendar must keep them open.
 */
const VWCE_VENDOR_GAPS = ['2025-10-24', '2026-03-06'];

function fixtureDates(file: string): string[] {
  const [header, ...rows] = fixture('prices', file).toString('utf8').trim().split(/\r?\n/);
  const column = header.split(',').findIndex((h) => h === 'Date' || h === 'Datetime');
  return [...new Set(rows.map((row) => row.split(',')[column].slice(0, 10)))].sort();
}

describe('XETR (Xetra)', () => {
  it('is registered with its zone and hours', () => {
    expect(exchangeCalendar('XETR')).toBe(XETR);
    expect(XETR).toMatchObject({
      mic: 'XETR',
      timeZone: 'Europe/Berlin',
      regularClose: '17:30',
      firstDate: '2000-01-01',
    });
  });

  it.each(Object.keys(CLOSED))('%s: exactly the known weekday closures', (y) => {
    const year = Number(y);
    expect(XETR.holidays(year).map((h) => h.date.slice(5))).toEqual(CLOSED[year].split(' '));
  });

  it('closes on 24 and 31 December every year they are weekdays', () => {
    for (let year = 2000; year <= 2030; year += 1) {
      for (const date of [`${year}-12-24`, `${year}-12-31`]) {
        expect(XETR.day(date).open).toBe(false);
      }
    }
  });

  it('closes on Whit Monday only in 2007 and 2015-2021', () => {
    const closed = ['2007-05-28', '2015-05-25', '2016-05-16', '2017-06-05', '2018-05-21'];
    for (const date of [...closed, '2019-06-10', '2020-06-01', '2021-05-24']) {
      expect(XETR.day(date).open).toBe(false);
    }
    const open = ['2000-06-12', '2006-06-05', '2008-05-12', '2014-06-09', '2022-06-06'];
    for (const date of [...open, '2023-05-29', '2024-05-20', '2025-06-09', '2026-05-25']) {
      expect(XETR.day(date).open).toBe(true);
    }
  });

  it('closes on the Day of German Unity only in 2000 and 2014-2021', () => {
    for (const date of ['2000-10-03', '2014-10-03', '2016-10-03', '2019-10-03']) {
      expect(XETR.day(date).open).toBe(false);
    }
    for (const date of ['2001-10-03', '2013-10-03', '2022-10-03', '2023-10-03', '2025-10-03']) {
      expect(XETR.day(date).open).toBe(true);
    }
  });

  it('names one-off closures as such', () => {
    expect(XETR.day('2017-10-31')).toMatchObject({ open: false, reason: 'closure' });
    expect(XETR.day('2000-10-03')).toMatchObject({ open: false, reason: 'closure' });
    expect(XETR.day('2007-05-28')).toMatchObject({ open: false, reason: 'closure' });
    expect(XETR.day('2020-06-01')).toMatchObject({ open: false, reason: 'holiday' });
  });

  it('closes early (14:00) on the last trading day of the year', () => {
    for (const date of ['2000-12-29', '2005-12-30', '2012-12-28', '2020-12-30', '2021-12-30']) {
      expect(XETR.day(date)).toMatchObject({ open: true, earlyClose: true, close: '14:00' });
    }
    expect(XETR.day('2023-12-29')).toMatchObject({ earlyClose: true }); // 30th a Saturday
    expect(XETR.day('2019-12-30')).toMatchObject({ earlyClose: true });
    expect(XETR.day('2019-12-27')).toMatchObject({ earlyClose: false, close: '17:30' });
  });

  it('closed at 20:00 during the evening-trading era (June 2000 - October 2003)', () => {
    expect(XETR.day('2000-06-01')).toMatchObject({ close: '17:30' });
    expect(XETR.day('2000-06-02')).toMatchObject({ close: '20:00', earlyClose: false });
    expect(XETR.day('2003-10-31')).toMatchObject({ close: '20:00' });
    expect(XETR.day('2003-11-03')).toMatchObject({ close: '17:30' });
  });

  describe('against real VWCE daily prices (test/fixtures/prices)', () => {
    const dates = fixtureDates('VWCE_DE_daily_prices.csv');

    it('covers 2019-07-29..2026-06-18', () => {
      expect([dates[0], dates[dates.length - 1]]).toEqual(['2019-07-29', '2026-06-18']);
    });

    it('its dates are exactly the trading days, but for the explained vendor gaps', () => {
      const expected = XETR.tradingDays(dates[0], dates[dates.length - 1]);
      const missing = expected.filter((d) => !dates.includes(d));
      const extra = dates.filter((d) => !expected.includes(d));
      expect(extra).toEqual([]);
      expect(missing).toEqual(VWCE_VENDOR_GAPS);
      for (const date of VWCE_VENDOR_GAPS) expect(XETR.day(date).open).toBe(true);
    });
  });
});
