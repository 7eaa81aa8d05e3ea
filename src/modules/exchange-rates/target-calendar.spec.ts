import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fixture, fixturePath } from '../../../test/utils/fixtures';
import { readEcbHistZip } from './ecb-hist-csv';
import {
  addDays,
  dayNumber,
  easterSunday,
  FIRST_PUBLICATION_DAY,
  fromDayNumber,
  InvalidIsoDateError,
  isIsoDate,
  isoWeekday,
  isPublicationDay,
  isTargetClosed,
  nextPublicationDay,
  previousPublicationDay,
  publicationDayOnOrBefore,
  publicationDays,
  targetHolidays,
} from './target-calendar';

// Easter Sundays, from published tables (not from the computus under test).
// prettier-ignore
const EASTER: Record<number, string> = {
  1999: '04-04', 2000: '04-23', 2001: '04-15', 2002: '03-31', 2003: '04-20', 2004: '04-11',
  2005: '03-27', 2006: '04-16', 2007: '04-08', 2008: '03-23', 2009: '04-12', 2010: '04-04',
  2011: '04-24', 2012: '04-08', 2013: '03-31', 2014: '04-20', 2015: '04-05', 2016: '03-27',
  2017: '04-16', 2018: '04-01', 2019: '04-21', 2020: '04-12', 2021: '04-04', 2022: '04-17',
  2023: '04-09', 2024: '03-31', 2025: '04-20', 2026: '04-05',
  // the extremes of the Gregorian cycle
  1818: '03-22', 1886: '04-25', 1943: '04-25', 2038: '04-25', 2285: '03-22',
};

// Every TARGET closing day that fell on a weekday, 1999-2026 (derived by hand from the rules
// and the Easter table above, weekdays checked with another calendar implementation).
const WEEKDAY_CLOSINGS: Record<number, string[]> = {
  1999: ['01-01', '12-31'],
  2000: ['04-21', '04-24', '05-01', '12-25', '12-26'],
  2001: ['01-01', '04-13', '04-16', '05-01', '12-25', '12-26', '12-31'],
  2002: ['01-01', '03-29', '04-01', '05-01', '12-25', '12-26'],
  2003: ['01-01', '04-18', '04-21', '05-01', '12-25', '12-26'],
  2004: ['01-01', '04-09', '04-12'],
  2005: ['03-25', '03-28', '12-26'],
  2006: ['04-14', '04-17', '05-01', '12-25', '12-26'],
  2007: ['01-01', '04-06', '04-09', '05-01', '12-25', '12-26'],
  2008: ['01-01', '03-21', '03-24', '05-01', '12-25', '12-26'],
  2009: ['01-01', '04-10', '04-13', '05-01', '12-25'],
  2010: ['01-01', '04-02', '04-05'],
  2011: ['04-22', '04-25', '12-26'],
  2012: ['04-06', '04-09', '05-01', '12-25', '12-26'],
  2013: ['01-01', '03-29', '04-01', '05-01', '12-25', '12-26'],
  2014: ['01-01', '04-18', '04-21', '05-01', '12-25', '12-26'],
  2015: ['01-01', '04-03', '04-06', '05-01', '12-25'],
  2016: ['01-01', '03-25', '03-28', '12-26'],
  2017: ['04-14', '04-17', '05-01', '12-25', '12-26'],
  2018: ['01-01', '03-30', '04-02', '05-01', '12-25', '12-26'],
  2019: ['01-01', '04-19', '04-22', '05-01', '12-25', '12-26'],
  2020: ['01-01', '04-10', '04-13', '05-01', '12-25'],
  2021: ['01-01', '04-02', '04-05'],
  2022: ['04-15', '04-18', '12-26'],
  2023: ['04-07', '04-10', '05-01', '12-25', '12-26'],
  2024: ['01-01', '03-29', '04-01', '05-01', '12-25', '12-26'],
  2025: ['01-01', '04-18', '04-21', '05-01', '12-25', '12-26'],
  2026: ['01-01', '04-03', '04-06', '05-01', '12-25'],
};

/** The dates of an ECB XML file, read with a plain pattern (independent of the parser). */
function fileDates(name: string): string[] {
  const text = fixture('ecb', name).toString('utf8');
  return [...text.matchAll(/time=["'](\d{4}-\d{2}-\d{2})["']/g)].map((m) => m[1]);
}

const ECB_FILES = readdirSync(fixturePath('ecb')).filter(
  (f) => f.startsWith('eurofxref') && f.endsWith('.xml'),
);

describe('ISO dates', () => {
  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2000-02-29')).toBe(true);
    for (const bad of [
      '2023-02-29',
      '1900-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-04-31',
      '2024-1-01',
      ' 2024-01-01',
      '2024-01-01T00:00:00Z',
      '',
      20240101,
      null,
    ]) {
      expect(isIsoDate(bad)).toBe(false);
    }
    expect(() => isTargetClosed('2023-02-29')).toThrow(InvalidIsoDateError);
  });

  it('day numbers round-trip and weekdays are right whatever the process time zone', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(fromDayNumber(dayNumber('1999-01-04'))).toBe('1999-01-04');
    expect(isoWeekday('1999-01-04')).toBe(1); // Monday
    expect(isoWeekday('2023-02-21')).toBe(2); // Tuesday
    expect(isoWeekday('1969-12-31')).toBe(3); // before the epoch: Wednesday
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('1999-12-31', 1)).toBe('2000-01-01');
  });
});

describe('Easter (Gregorian computus)', () => {
  it.each(Object.entries(EASTER))('%s', (year, monthDay) => {
    expect(easterSunday(Number(year))).toBe(`${year}-${monthDay}`);
  });

  it('is a Sunday between 22 March and 25 April for every year 1583-9999', () => {
    for (let year = 1583; year <= 9999; year += 1) {
      const e = easterSunday(year);
      if (isoWeekday(e) !== 7 || e.slice(5) < '03-22' || e.slice(5) > '04-25') {
        throw new Error(`bad Easter ${e}`);
      }
    }
  });
});

describe('TARGET closing days', () => {
  it.each(Object.keys(WEEKDAY_CLOSINGS))('%s: exactly the known weekday closings', (y) => {
    const year = Number(y);
    const closed: string[] = [];
    for (let n = dayNumber(`${year}-01-01`); n <= dayNumber(`${year}-12-31`); n += 1) {
      const day = fromDayNumber(n);
      const state = isTargetClosed(day);
      if (state.closed && state.reason === 'target_holiday') closed.push(day.slice(5));
      if (isoWeekday(day) >= 6) expect(state).toMatchObject({ closed: true, reason: 'weekend' });
    }
    expect(closed).toEqual(WEEKDAY_CLOSINGS[year]);
  });

  it('names the holiday and prefers weekend for a holiday on a Saturday or Sunday', () => {
    expect(isTargetClosed('2023-04-07')).toEqual({
      closed: true,
      reason: 'target_holiday',
      name: 'Good Friday',
    });
    expect(isTargetClosed('2022-12-25')).toEqual({
      closed: true,
      reason: 'weekend',
      name: 'Sunday',
    });
    expect(isTargetClosed('2023-02-21')).toEqual({ closed: false });
    // 1999: open on Good Friday, Easter Monday, 1 May (a Saturday) and 26 December (Sunday)
    expect(isTargetClosed('1999-04-02')).toEqual({ closed: false });
    expect(isTargetClosed('1999-04-05')).toEqual({ closed: false });
    // 31 December: only 1998, 1999 and 2001
    expect(isTargetClosed('1998-12-31')).toMatchObject({ closed: true, reason: 'target_holiday' });
    expect(isTargetClosed('2001-12-31')).toMatchObject({ closed: true, reason: 'target_holiday' });
    expect(isTargetClosed('2002-12-31')).toEqual({ closed: false });
    expect(isTargetClosed('2024-12-31')).toEqual({ closed: false });
  });

  it('lists a year’s holidays in date order, weekend ones included', () => {
    expect(targetHolidays(2022).map((h) => h.date)).toEqual([
      '2022-01-01',
      '2022-04-15',
      '2022-04-18',
      '2022-05-01',
      '2022-12-25',
      '2022-12-26',
    ]);
    expect(targetHolidays(1999).map((h) => h.date)).toEqual([
      '1999-01-01',
      '1999-12-25',
      '1999-12-31',
    ]);
  });
});

describe('publication days', () => {
  it('start on 1999-01-04', () => {
    expect(FIRST_PUBLICATION_DAY).toBe('1999-01-04');
    expect(isPublicationDay('1999-01-04')).toBe(true);
    expect(isPublicationDay('1998-12-30')).toBe(false); // an open TARGET day, but no rates yet
    expect(publicationDays('1998-12-01', '1999-01-06')).toEqual([
      '1999-01-04',
      '1999-01-05',
      '1999-01-06',
    ]);
    expect(previousPublicationDay('1999-01-04')).toBeNull();
    expect(publicationDayOnOrBefore('1999-01-03')).toBeNull();
    expect(nextPublicationDay('1998-06-01')).toBe('1999-01-04');
  });

  it('step over weekends and holidays', () => {
    expect(previousPublicationDay('2023-12-27')).toBe('2023-12-22'); // Mon 25, Tue 26 closed
    expect(previousPublicationDay('2024-01-02')).toBe('2023-12-29');
    expect(previousPublicationDay('2023-02-21')).toBe('2023-02-20');
    expect(previousPublicationDay('2023-02-20')).toBe('2023-02-17');
    expect(publicationDayOnOrBefore('2023-02-21')).toBe('2023-02-21');
    expect(publicationDayOnOrBefore('2018-04-02')).toBe('2018-03-29'); // Easter Monday ← Thursday
    expect(nextPublicationDay('2018-03-29')).toBe('2018-04-03');
    expect(nextPublicationDay('2001-12-28')).toBe('2002-01-02');
    expect(publicationDays('2024-12-23', '2025-01-03')).toEqual([
      '2024-12-23',
      '2024-12-24',
      '2024-12-27',
      '2024-12-30',
      '2024-12-31',
      '2025-01-02',
      '2025-01-03',
    ]);
    expect(publicationDays('2024-01-02', '2024-01-01')).toEqual([]);
  });

  it('predicts every publication day of the full ECB history 1999-01-04..2026-04-13, and no other', async () => {
    // The real eurofxref-hist.zip (see test/fixtures/README.md): 6,983 days.
    const zip = fixture('ecb', 'eurofxref-hist_1999-01-04_to_2026-04-13.zip');
    const published: string[] = [];
    for await (const day of readEcbHistZip(Readable.from([zip]))) published.push(day.date);
    published.sort();
    expect(published[0]).toBe('1999-01-04');
    expect(published.at(-1)).toBe('2026-04-13');
    expect(published).toHaveLength(6983);
    const predicted = publicationDays('1999-01-04', '2026-04-13');
    const missing = predicted.filter((d) => !published.includes(d));
    const extra = published.filter((d) => !predicted.includes(d));
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('count 250-262 a year from 2000 to 2026', () => {
    for (let year = 2000; year <= 2026; year += 1) {
      const n = publicationDays(`${year}-01-01`, `${year}-12-31`).length;
      expect([year, n >= 250 && n <= 262]).toEqual([year, true]);
    }
  });
});

// No full history file (1999-01-04 to now) could be had as a fixture: no package on the
// registries reachable here bundles one. Every fixture file is checked instead: its dates are
// exactly the calendar's publication days over its span.
describe('against every ECB fixture file', () => {
  it('has the files', () => {
    expect(ECB_FILES.length).toBeGreaterThanOrEqual(6);
  });

  it.each(ECB_FILES)('%s: every date open, every open day present', (name) => {
    const dates = fileDates(name);
    expect(dates.length).toBeGreaterThan(0);
    const ascending = [...dates].sort();
    expect(new Set(ascending).size).toBe(ascending.length);
    for (const d of ascending) expect([d, isTargetClosed(d)]).toEqual([d, { closed: false }]);
    expect(publicationDays(ascending[0], ascending[ascending.length - 1])).toEqual(ascending);
  });

  it('the gaps the fixtures document are TARGET holidays', () => {
    for (const d of [
      '2022-12-26',
      '2023-12-25',
      '2023-12-26',
      '2024-01-01',
      '2018-03-30',
      '2018-04-02',
      '2018-05-01',
    ]) {
      expect([d, isTargetClosed(d).closed]).toEqual([d, true]);
    }
    expect(fileDates('eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml')).not.toContain(
      '2022-12-26',
    );
  });
});
