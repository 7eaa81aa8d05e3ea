import { Injectable } from '@nestjs/common';
import type { IsoDate } from '../calendar/iso-date';

/** A day as a source's calendar sees it: open (work expected) or closed and why. */
export type SlotDay = { open: true } | { open: false; name: string };

/** A domain job a slot started (or found already there): its type and id. */
export interface ChildRef {
  type: string;
  id: string;
}

/** Where a slot's children stand, as the source reads them. */
export interface ChildrenOutcome {
  /** Every child has ended (completed, failed or cancelled). */
  ended: boolean;
  total: number;
  /** Children that completed and found the day's data. */
  completed: number;
  /** Children that failed, were cancelled, or completed without the day's data. */
  failed: number;
  /** What is worth saying: which child failed or found nothing, and why. */
  notes: string | null;
}

/**
 * A kind of daily work (`exchange-rates`, `etf-prices:XNYS`): its calendar, when a day's
 * work is due, and how to start and read the domain jobs of a day. Registered by the module
 * that owns the work; the daily-update calendar creates one slot per day and source.
 */
export interface DailySource {
  /** The slot type, e.g. `exchange-rates`. */
  readonly type: string;
  /** The IANA time zone the source's days and due times are read in. */
  readonly timeZone: string;
  /** The first day the source has slots. */
  readonly firstDate: IsoDate;
  /** Whether work is expected on `date` (a closed day completes as `no_data`, named). */
  day(date: IsoDate): Promise<SlotDay>;
  /** When the work of `date` is due: after the publication or close it waits for. */
  dueAt(date: IsoDate): Promise<Date>;
  /**
   * Starts (or finds) the domain jobs of `date` as children of `parent`. `rerun`: an operator
   * asked for the slot again: children that ended without the data are started anew.
   */
  startChildren(
    date: IsoDate,
    parent: { id: string; type: string },
    rerun: boolean,
  ): Promise<ChildRef[]>;
  /** Where the children of `date` stand. */
  outcome(date: IsoDate, children: readonly ChildRef[]): Promise<ChildrenOutcome>;
}

/** Gives the sources of a module; asked each time, so sources may come and go (ETFs). */
export interface DailySourceProvider {
  sources(): Promise<DailySource[]>;
}

/**
 * Every daily source of the app: modules register a provider at start-up (`onModuleInit`);
 * the daily-update calendar and its API read them. Global (CoreModule), so that a feature
 * module registers without importing the calendar's module.
 */
@Injectable()
export class DailySources {
  private readonly providers: DailySourceProvider[] = [];

  register(provider: DailySourceProvider): void {
    this.providers.push(provider);
  }

  /** Every source now, by type. */
  async all(): Promise<DailySource[]> {
    const lists = await Promise.all(this.providers.map((p) => p.sources()));
    return lists.flat().sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  }

  async get(type: string): Promise<DailySource | undefined> {
    return (await this.all()).find((s) => s.type === type);
  }
}
