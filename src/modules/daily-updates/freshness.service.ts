import { Injectable } from '@nestjs/common';
import { addDays, dayNumber, fromDayNumber, type IsoDate } from '../../common/calendar/iso-date';
import { dateIn } from '../../common/calendar/zoned-time';
import { DailySources, type DailySource } from '../../common/daily/daily-source';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { appClock } from '../../common/util/clock';
import { AppConfig } from '../../config/app-config';
import { DailyUpdate } from './daily-update.entity';
import { DailyUpdatesService } from './daily-updates.service';

/**
 * How fresh a source's data is, worst first: `overdue` (a slot within DAILY_CATCHUP_DAYS is
 * past its due time plus grace and has not ended: the service is behind, down or stuck, or
 * the publisher is late), `failing` (nothing overdue, but a slot within DAILY_CATCHUP_DAYS
 * ended `failed`, or the latest data is older than the expected data date: the work ran and
 * did not get the data; a re-run is needed), `fresh` (neither).
 */
export const FRESHNESS_STATES = ['fresh', 'overdue', 'failing'] as const;
export type FreshnessState = (typeof FRESHNESS_STATES)[number];

/** How far back the expected data date is looked for (no calendar closes this long). */
const EXPECTED_LOOKBACK_DAYS = 31;

/** One source's freshness at a moment. */
export interface SourceFreshness {
  source: string;
  state: FreshnessState;
  /** The latest `completed_at` of a slot that ended `done` or `partial`. */
  lastSuccessAt: Date | null;
  /** The latest day whose slot found data (`data_found`). */
  lastDataDate: IsoDate | null;
  /**
   * The latest day, today included, that is open on the source's calendar and whose due time
   * plus grace has passed: the day the data should have reached by now. Closed days never
   * move it, so `expected - lastDataDate` stays 0 over weekends and holidays.
   */
  expectedDataDate: IsoDate | null;
  /** Slots within DAILY_CATCHUP_DAYS (today included) that are `overdue` now. */
  overdueSlots: number;
  /** Slots within DAILY_CATCHUP_DAYS that ended `failed`. */
  failedSlots: number;
}

/**
 * Freshness per registered source (GET /freshness and the jobtrack_daily_* gauges): what the
 * slots found, read from `daily_updates`, and what the calendar says is owed, read from
 * DailyUpdatesService.calendar()/entry() so that the states are the calendar's own.
 */
@Injectable()
export class FreshnessService {
  constructor(
    private readonly sources: DailySources,
    private readonly slots: DailyUpdatesService,
    private readonly store: TrackingStore,
    private readonly config: AppConfig,
  ) {}

  /** Every registered source at `now`, by type. */
  async all(now: Date = appClock.now()): Promise<SourceFreshness[]> {
    const sources = await this.sources.all();
    if (!sources.length) return [];
    const back = this.config.env.DAILY_CATCHUP_DAYS;
    // The window of each source is the catch-up's: its today (in its time zone) and the
    // DAILY_CATCHUP_DAYS before; one calendar read spans them all.
    const windows = sources.map((source) => {
      const to = dateIn(now, source.timeZone);
      return { source, from: addDays(to, -back), to };
    });
    const from = windows.map((w) => w.from).reduce((a, b) => (a < b ? a : b));
    const to = windows.map((w) => w.to).reduce((a, b) => (a > b ? a : b));
    const entries = await this.slots.calendar(from, to, undefined, now);
    const latest = await this.latest();
    const items: SourceFreshness[] = [];
    for (const { source, from: first, to: today } of windows) {
      const own = entries.filter(
        (e) => e.type === source.type && e.date >= first && e.date <= today,
      );
      const overdueSlots = own.filter((e) => e.state === 'overdue').length;
      const failedSlots = own.filter((e) => e.state === 'failed').length;
      const found = latest.get(source.type);
      const lastDataDate = found?.lastDataDate ?? null;
      const expectedDataDate = await this.expectedDataDate(source, today, now);
      const behind =
        expectedDataDate !== null && (lastDataDate === null || lastDataDate < expectedDataDate);
      items.push({
        source: source.type,
        state: overdueSlots > 0 ? 'overdue' : failedSlots > 0 || behind ? 'failing' : 'fresh',
        lastSuccessAt: found?.lastSuccessAt ?? null,
        lastDataDate,
        expectedDataDate,
        overdueSlots,
        failedSlots,
      });
    }
    return items;
  }

  /**
   * The latest day on or before `today` that a slot of its own would find `overdue` were it
   * missing (DailyUpdatesService.entry: open on the calendar, due time plus grace passed).
   */
  private async expectedDataDate(
    source: DailySource,
    today: IsoDate,
    now: Date,
  ): Promise<IsoDate | null> {
    const last = dayNumber(today);
    for (let n = last; n >= last - EXPECTED_LOOKBACK_DAYS; n -= 1) {
      const date = fromDayNumber(n);
      if (date < source.firstDate) return null;
      if ((await this.slots.entry(source, date, null, now)).state === 'overdue') return date;
    }
    return null;
  }

  /** Per slot type: the last success and the last day with data, whenever they were. */
  private async latest(): Promise<
    Map<string, { lastSuccessAt: Date | null; lastDataDate: IsoDate | null }>
  > {
    const rows = await this.store
      .em()
      .execute<{ type: string; last_success_ms: number | null; last_data_date: string | null }[]>(
        `SELECT update_type AS type,
              (extract(epoch FROM max(completed_at) FILTER (WHERE state IN ('done', 'partial'))) * 1000)::float8 AS last_success_ms,
              (max(update_date) FILTER (WHERE data_found))::text AS last_data_date
         FROM ${this.store.table(DailyUpdate)}
        GROUP BY update_type`,
      );
    return new Map(
      rows.map((r) => [
        r.type,
        {
          lastSuccessAt: r.last_success_ms === null ? null : new Date(r.last_success_ms),
          lastDataDate: r.last_data_date,
        },
      ]),
    );
  }
}
