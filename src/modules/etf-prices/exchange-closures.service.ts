import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { exchangeCalendar, type ExchangeCalendar } from '../../common/calendar/exchange-calendar';
import { addDays, type IsoDate } from '../../common/calendar/iso-date';
import { dateIn, instantAt } from '../../common/calendar/zoned-time';
import { DomainError } from '../../common/http/domain-error';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { ExchangeClosure } from './exchange-closure.entity';

/** An exchange's calendar together with the closures operators added to it. */
export interface CalendarWithClosures {
  calendar: ExchangeCalendar;
  /** Operator-announced closures of the range asked for (date → name). */
  extra: ReadonlyMap<IsoDate, string>;
}

/**
 * Closures operators announce ahead (exchanges do, days before: a day of mourning, a storm),
 * kept in `exchange_closures` and read on top of the calendars' rules, so no release is
 * needed. A closure on a day the rules already close is refused (409): it would say nothing.
 */
@Injectable()
export class ExchangeClosuresService {
  constructor(private readonly store: TrackingStore) {}

  /** The calendar of `mic` (any case); 404 for an exchange without one. */
  calendar(mic: string): ExchangeCalendar {
    const calendar = exchangeCalendar(mic.toUpperCase());
    if (!calendar) throw DomainError.notFound('exchange calendar', mic);
    return calendar;
  }

  /** The calendar of `mic` with the operator closures of [from, to]. */
  async forRange(mic: string, from: IsoDate, to: IsoDate): Promise<CalendarWithClosures> {
    const calendar = this.calendar(mic);
    const rows = await this.em().find(
      ExchangeClosure,
      { mic: calendar.mic, closureDate: { $gte: from, $lte: to } },
      { orderBy: { closureDate: 'asc' } },
    );
    return { calendar, extra: new Map(rows.map((r) => [r.closureDate, r.name])) };
  }

  async list(mic: string): Promise<ExchangeClosure[]> {
    const calendar = this.calendar(mic);
    return this.em().find(
      ExchangeClosure,
      { mic: calendar.mic },
      { orderBy: { closureDate: 'asc' } },
    );
  }

  async add(mic: string, date: IsoDate, name: string, by: string | null): Promise<ExchangeClosure> {
    const calendar = this.calendar(mic);
    const day = calendar.day(date);
    if (!day.open) {
      throw new DomainError(
        'CONFLICT',
        `${calendar.mic} is already closed on ${date}: ${day.name}`,
      );
    }
    const em = this.em();
    const closure = em.create(ExchangeClosure, {
      mic: calendar.mic,
      closureDate: date,
      name,
      createdBy: by,
    });
    try {
      await em.insert(closure);
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw new DomainError('CONFLICT', `${calendar.mic} already has a closure on ${date}`);
      }
      throw err;
    }
    return closure;
  }

  async remove(mic: string, date: IsoDate): Promise<void> {
    const calendar = this.calendar(mic);
    const deleted = await this.em().nativeDelete(ExchangeClosure, {
      mic: calendar.mic,
      closureDate: date,
    });
    if (!deleted) throw DomainError.notFound(`${calendar.mic} closure on`, date);
  }

  /**
   * The last session of `mic` whose close has passed at `now` (today's once the close is
   * over, in the exchange's time zone; early closes count).
   */
  async lastClosedSession(mic: string, now: Date): Promise<IsoDate> {
    const calendar = this.calendar(mic);
    const today = dateIn(now, calendar.timeZone);
    const { extra } = await this.forRange(mic, addDays(today, -30), today);
    const todayIs = calendar.day(today, extra);
    if (todayIs.open && instantAt(today, todayIs.close, calendar.timeZone) <= now) {
      return today;
    }
    const days = calendar.tradingDays(addDays(today, -30), addDays(today, -1), extra);
    if (!days.length) throw new DomainError('CONFLICT', `${mic} had no session in 30 days`);
    return days[days.length - 1];
  }

  private em(): EntityManager {
    return this.store.em() as EntityManager;
  }
}
