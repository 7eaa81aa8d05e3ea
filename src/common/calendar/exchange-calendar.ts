/**
 * Exchange trading calendars: on which days an exchange trades, and when it closes.
 *
 * Each exchange (xnys.ts, xetr.ts, xlon.ts) is written as rules by era (a holiday that
 * exists only from some year, a weekday rule that changed) plus a list of one-off closures
 * and early closes, and turned into an `ExchangeCalendar` by `ruleCalendar` (rule-calendar.ts),
 * which caches the dates of each year the first time the year is asked for. To add an
 * exchange: write its rules in a file like xnys.ts, list it in CALENDARS below, and test it
 * against published calendars and a real price history.
 *
 * The rules are checked against published calendars and real price histories from
 * `firstDate` (2000-01-01) on. Before it, `day()` still answers by the same rules, but
 * older eras (other holidays, other hours, older one-off closures) are not modelled: do not
 * rely on answers before `firstDate`.
 */

import type { IsoDate } from './iso-date';
import { XETR } from './xetr';
import { XLON } from './xlon';
import { XNYS } from './xnys';

/**
 * Why an exchange is closed on a day: `weekend` (Saturday, Sunday), `holiday` (a recurring
 * rule, including its substitute day), `closure` (a one-off: a state funeral, a storm, a
 * jubilee), `operator_closure` (added by an operator at run time, e.g. from a table).
 */
export type ClosureReason = 'weekend' | 'holiday' | 'closure' | 'operator_closure';

export type SessionDay =
  | { date: IsoDate; open: false; reason: ClosureReason; name: string }
  | {
      date: IsoDate;
      open: true;
      /** Local wall-clock time of the close, 'HH:MM' in the exchange's time zone. */
      close: string;
      /** True on a scheduled short day; then `name` says why. */
      earlyClose: boolean;
      name?: string; // e.g. 'Christmas Eve (early close)'
    };

export interface ExchangeCalendar {
  /** ISO 10383 market identifier code: 'XNYS', 'XETR', 'XLON'. */
  readonly mic: string;
  /** e.g. 'New York Stock Exchange'. */
  readonly name: string;
  /** IANA time zone of the exchange's clock, e.g. 'America/New_York'. */
  readonly timeZone: string;
  /** Today's usual close, local 'HH:MM' (a past era may have had another: see `day()`). */
  readonly regularClose: string;
  /** The first date the rules are proven for: '2000-01-01'. */
  readonly firstDate: IsoDate;
  /** `extra`: operator-added closures (date -> name), e.g. read from a table; they win over an open day. */
  day(date: IsoDate, extra?: ReadonlyMap<IsoDate, string>): SessionDay;
  /** Every open day from `from` to `to`, both included, in date order. */
  tradingDays(from: IsoDate, to: IsoDate, extra?: ReadonlyMap<IsoDate, string>): IsoDate[];
  /** Rule holidays + one-off closures on weekdays, date order. */
  holidays(year: number): { date: IsoDate; name: string }[];
}

const CALENDARS = new Map<string, ExchangeCalendar>(
  [XETR, XLON, XNYS].map((calendar) => [calendar.mic, calendar]),
);

/** The MICs with a calendar, sorted: ['XETR', 'XLON', 'XNYS']. */
export const EXCHANGE_MICS: readonly string[] = Object.freeze([...CALENDARS.keys()].sort());

/** The calendar of an exchange by its MIC (exact, upper case), or undefined when unknown. */
export function exchangeCalendar(mic: string): ExchangeCalendar | undefined {
  return CALENDARS.get(mic);
}
