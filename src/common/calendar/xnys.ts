/**
 * XNYS: the New York Stock Exchange. Trades 09:30-16:00 New York time (America/New_York,
 * which follows US daylight saving), Monday to Friday; early closes are at 13:00.
 *
 * Sources: the NYSE's published holiday and early-close calendars (nyse.com/markets/
 * hours-calendars) and "NYSE closings" history, as encoded in exchange_calendars
 * (github.com/gerrymanoim/exchange_calendars: exchange_calendar_xnys.py, us_holidays.py) and
 * pandas_market_calendars; checked here against real SPY and EWG daily prices 2010-2011 and
 * 2022-2024 (test/fixtures/prices).
 *
 * Holidays (a holiday on a Saturday is taken on the Friday before, one on a Sunday on the
 * Monday after, except New Year's Day, below):
 * - New Year's Day, 1 January; on a Sunday, Monday 2 January. On a Saturday there is NO
 *   substitute: the NYSE trades on Friday 31 December (its rule since 1999; e.g. 2010-12-31,
 *   2021-12-31 were trading days);
 * - Martin Luther King Jr. Day, 3rd Monday of January (from 1998);
 * - Washington's Birthday ("Presidents' Day"), 3rd Monday of February;
 * - Good Friday (the Friday before Easter Sunday);
 * - Memorial Day, last Monday of May;
 * - Juneteenth, 19 June (from 2022);
 * - Independence Day, 4 July;
 * - Labor Day, 1st Monday of September;
 * - Thanksgiving Day, 4th Thursday of November;
 * - Christmas Day, 25 December.
 * Early closes at 13:00:
 * - the day after Thanksgiving;
 * - 24 December, when it is a Monday-Thursday (on a Friday it is the Christmas holiday);
 * - 3 July on a Monday, Tuesday or Thursday; 3 July on a Wednesday from 2013 on (before
 *   2013, when 4 July was a Thursday, the early close was Friday 5 July instead, e.g.
 *   2002-07-05; in 2013 it moved to Wednesday 3 July). On a Friday 3 July the NYSE is closed
 *   (4 July is a Saturday) and there is no early close in that week (e.g. 2020, 2026);
 * - one-offs: Friday 31 December 1999 and Friday 26 December 2003. Not on the other Fridays after a Thursday Christmas
 *   (2008-12-26, 2014-12-26 and 2025-12-26 were full days).
 */

import { addDays, easterSunday, isoDateOf, isoWeekday, type IsoDate } from './iso-date';
import { FRIDAY, MONDAY, nearestWeekday, nthWeekday, THURSDAY } from './calendar-rules';
import {
  ruleCalendar,
  type RuleClosure,
  type RuleEarlyClose,
  type YearRules,
} from './rule-calendar';

const EARLY_CLOSE = '13:00';

/** Closures outside the rules since 2000 (the NYSE's list of unscheduled closings). */
const ONE_OFF_CLOSURES: Record<IsoDate, string> = {
  '2001-09-11': 'September 11 attacks',
  '2001-09-12': 'September 11 attacks',
  '2001-09-13': 'September 11 attacks',
  '2001-09-14': 'September 11 attacks',
  '2004-06-11': 'National Day of Mourning for President Ronald Reagan',
  '2007-01-02': 'National Day of Mourning for President Gerald Ford',
  '2012-10-29': 'Hurricane Sandy',
  '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'National Day of Mourning for President George H. W. Bush',
  '2025-01-09': 'National Day of Mourning for President Jimmy Carter',
};

const ONE_OFF_EARLY_CLOSES: Record<IsoDate, string> = {
  '1999-12-31': "New Year's Eve 1999 (early close)",
  '2003-12-26': 'Day after Christmas (early close)',
};

function rules(year: number): YearRules {
  const closures: RuleClosure[] = [];
  const holiday = (h: { date: IsoDate; name: string }) =>
    closures.push({ ...h, reason: 'holiday' });

  const newYear = isoDateOf(year, 1, 1);
  if (isoWeekday(newYear) === 7)
    holiday({ date: addDays(newYear, 1), name: "New Year's Day (observed)" });
  else holiday({ date: newYear, name: "New Year's Day" }); // on a Saturday: no weekday closed
  if (year >= 1998)
    holiday({ date: nthWeekday(year, 1, MONDAY, 3), name: 'Martin Luther King Jr. Day' });
  holiday({
    date: nthWeekday(year, 2, MONDAY, 3),
    name: "Washington's Birthday (Presidents' Day)",
  });
  holiday({ date: addDays(easterSunday(year), -2), name: 'Good Friday' });
  holiday({ date: nthWeekday(year, 5, MONDAY, -1), name: 'Memorial Day' });
  if (year >= 2022)
    holiday(nearestWeekday(isoDateOf(year, 6, 19), 'Juneteenth National Independence Day'));
  holiday(nearestWeekday(isoDateOf(year, 7, 4), 'Independence Day'));
  holiday({ date: nthWeekday(year, 9, MONDAY, 1), name: 'Labor Day' });
  const thanksgiving = nthWeekday(year, 11, THURSDAY, 4);
  holiday({ date: thanksgiving, name: 'Thanksgiving Day' });
  holiday(nearestWeekday(isoDateOf(year, 12, 25), 'Christmas Day'));
  for (const [date, name] of Object.entries(ONE_OFF_CLOSURES)) {
    if (date.startsWith(`${year}-`)) closures.push({ date, name, reason: 'closure' });
  }

  const earlyCloses: RuleEarlyClose[] = [];
  const early = (date: IsoDate, name: string) =>
    earlyCloses.push({ date, close: EARLY_CLOSE, name });
  early(addDays(thanksgiving, 1), 'Day after Thanksgiving (early close)');
  const christmasEve = isoDateOf(year, 12, 24);
  if (isoWeekday(christmasEve) <= THURSDAY) early(christmasEve, 'Christmas Eve (early close)');
  const july3 = isoDateOf(year, 7, 3);
  const july3Weekday = isoWeekday(july3);
  if (
    july3Weekday === 1 ||
    july3Weekday === 2 ||
    july3Weekday === 4 ||
    (july3Weekday === 3 && year >= 2013)
  ) {
    early(july3, 'Day before Independence Day (early close)');
  }
  const july5 = isoDateOf(year, 7, 5);
  if (isoWeekday(july5) === FRIDAY && year < 2013)
    early(july5, 'Day after Independence Day (early close)');
  for (const [date, name] of Object.entries(ONE_OFF_EARLY_CLOSES)) {
    if (date.startsWith(`${year}-`)) early(date, name);
  }
  return { closures, earlyCloses };
}

export const XNYS = ruleCalendar({
  mic: 'XNYS',
  name: 'New York Stock Exchange',
  timeZone: 'America/New_York',
  regularClose: '16:00',
  firstDate: '2000-01-01',
  rules,
});
