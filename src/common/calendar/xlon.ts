/**
 * XLON: the London Stock Exchange. Order-book trading 08:00-16:30 London time
 * (Europe/London, which follows UK daylight saving); early closes at 12:30.
 *
 * Sources: the bank holidays of England and Wales as published by the UK government
 * (gov.uk/bank-holidays and its archive of royal proclamations), the LSE's "business days"
 * notices, as encoded in exchange_calendars (github.com/gerrymanoim/exchange_calendars:
 * exchange_calendar_xlon.py) and python-holidays (vacanza/holidays:
 * london_stock_exchange.py).
 *
 * The LSE is closed on every bank holiday of England and Wales:
 * - New Year's Day, 1 January; on a Saturday or Sunday, the Monday after;
 * - Good Friday and Easter Monday;
 * - Early May bank holiday, 1st Monday of May (2020: moved to Friday 8 May, VE Day's
 *   75th anniversary; 1995: to Monday 8 May);
 * - Spring bank holiday, last Monday of May (moved next to the Queen's jubilees:
 *   2002 to Tuesday 4 June, 2012 to Monday 4 June, 2022 to Thursday 2 June);
 * - Summer bank holiday, last Monday of August;
 * - Christmas Day and Boxing Day (25, 26 December) with substitutes: when 25 Dec is a
 *   Saturday, Monday 27 and Tuesday 28 are off; when it is a Sunday, Monday 26 (Boxing Day)
 *   and Tuesday 27 (Christmas substitute); when 26 Dec is a Saturday, Monday 28.
 * One-off bank holidays are in ONE_OFF_CLOSURES below.
 * Early closes at 12:30: Christmas Eve and New Year's Eve, or the Friday before each when it
 * falls on a weekend (the LSE's business-days notices, e.g. Fri 2022-12-23 and 2022-12-30).
 */

import { addDays, easterSunday, isoDateOf, isoWeekday, type IsoDate } from './iso-date';
import { MONDAY, nthWeekday, weekdayOrFridayBefore, weekdayOrMondayAfter } from './calendar-rules';
import { ruleCalendar, type RuleClosure, type YearRules } from './rule-calendar';

const EARLY_CLOSE = '12:30';

/** One-off bank holidays (royal events, the millennium). */
const ONE_OFF_CLOSURES: Record<IsoDate, string> = {
  '1999-12-31': 'Millennium Day',
  '2002-06-03': 'Golden Jubilee of Queen Elizabeth II',
  '2011-04-29': 'Wedding of Prince William and Catherine Middleton',
  '2012-06-05': 'Diamond Jubilee of Queen Elizabeth II',
  '2022-06-03': 'Platinum Jubilee of Queen Elizabeth II',
  '2022-09-19': 'State Funeral of Queen Elizabeth II',
  '2023-05-08': 'Coronation of King Charles III',
};

/** Years whose Early May bank holiday was not the 1st Monday of May. */
const EARLY_MAY_MOVED: Record<number, { date: IsoDate; name: string }> = {
  1995: { date: '1995-05-08', name: 'Early May bank holiday (VE Day, 50th anniversary)' },
  2020: { date: '2020-05-08', name: 'Early May bank holiday (VE Day, 75th anniversary)' },
};

/** Years whose Spring bank holiday was not the last Monday of May. */
const SPRING_MOVED: Record<number, IsoDate> = {
  2002: '2002-06-04',
  2012: '2012-06-04',
  2022: '2022-06-02',
};

function christmas(year: number): { date: IsoDate; name: string }[] {
  const christmasDay = isoDateOf(year, 12, 25);
  switch (isoWeekday(christmasDay)) {
    case 6: // Saturday: both move to Monday and Tuesday
      return [
        { date: isoDateOf(year, 12, 27), name: 'Christmas Day (substitute day)' },
        { date: isoDateOf(year, 12, 28), name: 'Boxing Day (substitute day)' },
      ];
    case 7: // Sunday: Boxing Day stays on Monday, Christmas Day is taken on Tuesday
      return [
        { date: isoDateOf(year, 12, 26), name: 'Boxing Day' },
        { date: isoDateOf(year, 12, 27), name: 'Christmas Day (substitute day)' },
      ];
    case 5: // Friday: Boxing Day, a Saturday, moves to Monday
      return [
        { date: christmasDay, name: 'Christmas Day' },
        { date: isoDateOf(year, 12, 28), name: 'Boxing Day (substitute day)' },
      ];
    default:
      return [
        { date: christmasDay, name: 'Christmas Day' },
        { date: isoDateOf(year, 12, 26), name: 'Boxing Day' },
      ];
  }
}

function rules(year: number): YearRules {
  const closures: RuleClosure[] = [];
  const holiday = (h: { date: IsoDate; name: string }) =>
    closures.push({ ...h, reason: 'holiday' });
  const easter = easterSunday(year);

  const newYear = weekdayOrMondayAfter(isoDateOf(year, 1, 1));
  const newYearName = newYear.endsWith('-01-01') ? '' : ' (substitute day)';
  holiday({ date: newYear, name: `New Year's Day${newYearName}` });
  holiday({ date: addDays(easter, -2), name: 'Good Friday' });
  holiday({ date: addDays(easter, 1), name: 'Easter Monday' });
  holiday(
    EARLY_MAY_MOVED[year] ?? {
      date: nthWeekday(year, 5, MONDAY, 1),
      name: 'Early May bank holiday',
    },
  );
  holiday({
    date: SPRING_MOVED[year] ?? nthWeekday(year, 5, MONDAY, -1),
    name: 'Spring bank holiday',
  });
  holiday({ date: nthWeekday(year, 8, MONDAY, -1), name: 'Summer bank holiday' });
  christmas(year).forEach(holiday);
  for (const [date, name] of Object.entries(ONE_OFF_CLOSURES)) {
    if (date.startsWith(`${year}-`)) closures.push({ date, name, reason: 'closure' });
  }

  return {
    closures,
    earlyCloses: [
      {
        date: weekdayOrFridayBefore(isoDateOf(year, 12, 24)),
        close: EARLY_CLOSE,
        name: 'Christmas Eve (early close)',
      },
      {
        date: weekdayOrFridayBefore(isoDateOf(year, 12, 31)),
        close: EARLY_CLOSE,
        name: "New Year's Eve (early close)",
      },
    ],
  };
}

export const XLON = ruleCalendar({
  mic: 'XLON',
  name: 'London Stock Exchange',
  timeZone: 'Europe/London',
  regularClose: '16:30',
  firstDate: '2000-01-01',
  rules,
});
