/**
 * XETR: Xetra, Deutsche Börse's electronic trading venue in Frankfurt (Europe/Berlin time,
 * which follows EU daylight saving). Continuous trading from 09:00; the closing auction
 * starts at 17:30, the time given here as the close.
 *
 * Sources: Deutsche Börse's yearly Xetra trading calendars (xetra.com, "trading calendar"),
 * as encoded in exchange_calendars (github.com/gerrymanoim/exchange_calendars:
 * exchange_calendar_xetr.py) and Portfolio Performance's TradeCalendarManager
 * (github.com/portfolio-performance/portfolio), with press reports for the early years
 * (Handelsblatt, dpa-AFX, Stern); checked here against real VWCE daily prices 2019-2026
 * (test/fixtures/prices).
 *
 * Closed, every year: New Year's Day (1 Jan), Good Friday, Easter Monday, Labour Day
 * (1 May), Christmas Eve (24 Dec), Christmas Day (25 Dec), Boxing Day (26 Dec), New Year's
 * Eve (31 Dec). A holiday on a weekend is not moved.
 * Closed only in some years (German public holidays on which Xetra has mostly traded
 * since June 2000):
 * - Whit Monday (Easter Sunday + 50 days): 2015-2021, and 2007 (one-off: Wall Street was
 *   closed for Memorial Day); Xetra traded on it 2000-2006, 2008-2014 and since 2022;
 * - Day of German Unity (3 Oct): 2014-2021, and 2000 (one-off: its 10th anniversary);
 *   Xetra traded on it 2001-2013 and since 2022;
 * - Reformation Day, 31 Oct 2017 (one-off: its 500th anniversary).
 * Hours:
 * - the regular close was 20:00 from 2 June 2000 to 31 October 2003 (Xetra's evening
 *   trading; back to 17:30 from Monday 3 November 2003), 17:30 otherwise;
 * - the last trading day of the year (the last weekday before 31 Dec) is an early close:
 *   the closing auction starts at 14:00 (announced every year: e.g. 2000-12-29, 2005-12-30,
 *   2012-12-28, 2020-12-30, 2021-12-30).
 */

import { addDays, easterSunday, isoDateOf, type IsoDate } from './iso-date';
import { weekdayOrFridayBefore } from './calendar-rules';
import { ruleCalendar, type RuleClosure, type YearRules } from './rule-calendar';

const ONE_OFF_CLOSURES: Record<IsoDate, string> = {
  '2000-10-03': 'Day of German Unity (10th anniversary)',
  '2007-05-28': 'Whit Monday (2007 only; US Memorial Day)',
  '2017-10-31': 'Reformation Day (500th anniversary)',
};

/** Xetra's evening-trading era, when the regular close was 20:00 (both days included). */
const EVENING_ERA = { from: '2000-06-02', to: '2003-10-31', close: '20:00' };

function rules(year: number): YearRules {
  const closures: RuleClosure[] = [];
  const holiday = (date: IsoDate, name: string) => closures.push({ date, name, reason: 'holiday' });
  const easter = easterSunday(year);

  holiday(isoDateOf(year, 1, 1), "New Year's Day");
  holiday(addDays(easter, -2), 'Good Friday');
  holiday(addDays(easter, 1), 'Easter Monday');
  holiday(isoDateOf(year, 5, 1), 'Labour Day');
  if (year >= 2015 && year <= 2021) holiday(addDays(easter, 50), 'Whit Monday');
  if (year >= 2014 && year <= 2021) holiday(isoDateOf(year, 10, 3), 'Day of German Unity');
  holiday(isoDateOf(year, 12, 24), 'Christmas Eve');
  holiday(isoDateOf(year, 12, 25), 'Christmas Day');
  holiday(isoDateOf(year, 12, 26), 'Boxing Day (Second Day of Christmas)');
  holiday(isoDateOf(year, 12, 31), "New Year's Eve");
  for (const [date, name] of Object.entries(ONE_OFF_CLOSURES)) {
    if (date.startsWith(`${year}-`)) closures.push({ date, name, reason: 'closure' });
  }

  // 27-30 December hold no holiday, so the last weekday before 31 Dec is the last trading day.
  const lastTradingDay = weekdayOrFridayBefore(isoDateOf(year, 12, 30));
  return {
    closures,
    earlyCloses: [
      { date: lastTradingDay, close: '14:00', name: 'Last trading day of the year (early close)' },
    ],
  };
}

export const XETR = ruleCalendar({
  mic: 'XETR',
  name: 'Xetra (Deutsche Börse)',
  timeZone: 'Europe/Berlin',
  regularClose: '17:30',
  firstDate: '2000-01-01',
  rules,
  closeOn: (date) =>
    date >= EVENING_ERA.from && date <= EVENING_ERA.to ? EVENING_ERA.close : '17:30',
});
