/**
 * Builds an ExchangeCalendar (exchange-calendar.ts) from an exchange's rules: the holidays,
 * one-off closures and early closes of each year, computed once per year and cached.
 */

import type { ExchangeCalendar, SessionDay } from './exchange-calendar';
import { dayNumber, fromDayNumber, isoWeekday, type IsoDate } from './iso-date';

/** A day an exchange's rules close it (any weekday; one on a weekend is ignored). */
export interface RuleClosure {
  date: IsoDate;
  name: string;
  reason: 'holiday' | 'closure';
}

/** A day an exchange's rules close it early, at local `close`. */
export interface RuleEarlyClose {
  date: IsoDate;
  close: string;
  name: string;
}

/** What an exchange's rules give for one year; every date must lie in that year. */
export interface YearRules {
  closures: RuleClosure[];
  earlyCloses: RuleEarlyClose[];
}

export interface CalendarSpec {
  mic: string;
  name: string;
  timeZone: string;
  regularClose: string;
  firstDate: IsoDate;
  rules(year: number): YearRules;
  /** The regular close of a date, when an era had other hours (default: `regularClose`). */
  closeOn?(date: IsoDate): string;
}

interface YearTable {
  closed: Map<IsoDate, RuleClosure>;
  early: Map<IsoDate, RuleEarlyClose>;
  holidays: { date: IsoDate; name: string }[];
}

class RuleCalendar implements ExchangeCalendar {
  readonly mic: string;
  readonly name: string;
  readonly timeZone: string;
  readonly regularClose: string;
  readonly firstDate: IsoDate;
  private readonly years = new Map<number, YearTable>();

  constructor(private readonly spec: CalendarSpec) {
    this.mic = spec.mic;
    this.name = spec.name;
    this.timeZone = spec.timeZone;
    this.regularClose = spec.regularClose;
    this.firstDate = spec.firstDate;
  }

  day(date: IsoDate, extra?: ReadonlyMap<IsoDate, string>): SessionDay {
    const weekday = isoWeekday(date); // throws InvalidIsoDateError for a bad date
    if (weekday >= 6) {
      return { date, open: false, reason: 'weekend', name: weekday === 6 ? 'Saturday' : 'Sunday' };
    }
    const table = this.year(Number(date.slice(0, 4)));
    const closed = table.closed.get(date);
    if (closed) return { date, open: false, reason: closed.reason, name: closed.name };
    const operator = extra?.get(date);
    if (operator !== undefined)
      return { date, open: false, reason: 'operator_closure', name: operator };
    const early = table.early.get(date);
    if (early) return { date, open: true, close: early.close, earlyClose: true, name: early.name };
    const close = this.spec.closeOn?.(date) ?? this.regularClose;
    return { date, open: true, close, earlyClose: false };
  }

  tradingDays(from: IsoDate, to: IsoDate, extra?: ReadonlyMap<IsoDate, string>): IsoDate[] {
    const days: IsoDate[] = [];
    const end = dayNumber(to);
    for (let n = dayNumber(from); n <= end; n += 1) {
      const date = fromDayNumber(n);
      if (this.day(date, extra).open) days.push(date);
    }
    return days;
  }

  holidays(year: number): { date: IsoDate; name: string }[] {
    return this.year(year).holidays.map((h) => ({ ...h }));
  }

  private year(year: number): YearTable {
    let table = this.years.get(year);
    if (!table) {
      table = this.build(year);
      this.years.set(year, table);
    }
    return table;
  }

  private build(year: number): YearTable {
    if (!Number.isInteger(year)) throw new RangeError(`not a year: ${year}`);
    const { closures, earlyCloses } = this.spec.rules(year);
    const closed = new Map<IsoDate, RuleClosure>();
    const early = new Map<IsoDate, RuleEarlyClose>();
    for (const c of closures) {
      if (inYear(c.date, year) && !closed.has(c.date)) closed.set(c.date, c);
    }
    for (const e of earlyCloses) {
      if (inYear(e.date, year) && !early.has(e.date)) early.set(e.date, e);
    }
    const holidays = [...closed.values()]
      .filter((c) => isoWeekday(c.date) <= 5)
      .map((c) => ({ date: c.date, name: c.name }))
      .sort((a, b) => (a.date < b.date ? -1 : 1));
    return { closed, early, holidays };
  }
}

function inYear(date: IsoDate, year: number): boolean {
  if (Number(date.slice(0, 4)) !== year) {
    throw new Error(`calendar rules for ${year} gave a date of another year: ${date}`);
  }
  return true;
}

/** An ExchangeCalendar from an exchange's rules. */
export function ruleCalendar(spec: CalendarSpec): ExchangeCalendar {
  return new RuleCalendar(spec);
}
