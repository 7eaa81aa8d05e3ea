import { Injectable, OnModuleInit } from '@nestjs/common';
import type { IsoDate } from '../../common/calendar/iso-date';
import { instantAt } from '../../common/calendar/zoned-time';
import {
  DailySources,
  type ChildRef,
  type ChildrenOutcome,
  type DailySource,
  type DailySourceProvider,
  type SlotDay,
} from '../../common/daily/daily-source';
import { isTerminal, JobStatus } from '../../common/tracking/job-status';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { AppConfig } from '../../config/app-config';
import { ETF_UPDATE } from './etf-prices.constants';
import { EtfUpdate } from './etf-update.entity';
import { EtfUpdatesService } from './etf-updates.service';
import { Etf } from './etf.entity';
import { ExchangeClosuresService } from './exchange-closures.service';

/** The slot type of an exchange's ETF prices. */
export const etfSourceType = (mic: string) => `etf-prices:${mic}`;

/**
 * ETF prices as daily sources: one `etf-prices:<MIC>` per exchange that has active ETFs,
 * with that exchange's trading days (operator closures included), due ETF_DUE_MARGIN_MINUTES
 * after its close (an early close too), one daily update per active ETF as children.
 */
@Injectable()
export class EtfDailySources implements DailySourceProvider, OnModuleInit {
  constructor(
    private readonly registry: DailySources,
    private readonly updates: EtfUpdatesService,
    private readonly closures: ExchangeClosuresService,
    private readonly store: TrackingStore,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async sources(): Promise<DailySource[]> {
    const rows = await this.store
      .em()
      .find(Etf, { active: true }, { fields: ['exchange'], orderBy: { exchange: 'asc' } });
    const mics = [...new Set(rows.map((r) => r.exchange))];
    return mics.map((mic) => this.source(mic));
  }

  private source(mic: string): DailySource {
    const calendar = this.closures.calendar(mic);
    const marginMs = this.config.env.ETF_DUE_MARGIN_MINUTES * 60_000;
    const dayOf = async (date: IsoDate) => {
      const { extra } = await this.closures.forRange(mic, date, date);
      return calendar.day(date, extra);
    };
    return {
      type: etfSourceType(calendar.mic),
      timeZone: calendar.timeZone,
      firstDate: calendar.firstDate,
      day: async (date): Promise<SlotDay> => {
        const day = await dayOf(date);
        return day.open ? { open: true } : { open: false, name: `${day.name} (${mic})` };
      },
      dueAt: async (date) => {
        const day = await dayOf(date);
        const close = day.open ? day.close : calendar.regularClose;
        return new Date(instantAt(date, close, calendar.timeZone).getTime() + marginMs);
      },
      startChildren: async (date, parent) => {
        const etfs = await this.store
          .em()
          .find(Etf, { active: true, exchange: mic }, { orderBy: { symbol: 'asc' } });
        const children: ChildRef[] = [];
        for (const etf of etfs) {
          const { job } = await this.updates.start(
            etf.symbol,
            { type: 'daily', from: date, to: date },
            null,
            { parent },
          );
          children.push({ type: ETF_UPDATE.type, id: job.id });
        }
        return children;
      },
      outcome: (date, children) => this.outcome(date, children),
    };
  }

  /**
   * A child found the day's data when it completed and the ETF has a price stored for the
   * day. Not being among `missingDates` is not enough: a session that had not closed when the
   * update ran (a slot run by hand during trading) is not missing yet, and its live bar is
   * not stored.
   */
  private async outcome(date: IsoDate, children: readonly ChildRef[]): Promise<ChildrenOutcome> {
    const rows = await this.store
      .em()
      .find(EtfUpdate, { id: { $in: children.map((c) => c.id) } }, { orderBy: { etfId: 'asc' } });
    const done = rows.filter((r) => isTerminal(r.status));
    const completed = done.filter((r) => r.status === JobStatus.COMPLETED);
    const priced = new Set(
      completed.length === 0
        ? []
        : (
            await this.store
              .em()
              .getConnection()
              .execute<{ etf_id: string }[]>(
                `SELECT etf_id FROM etf_prices
                 WHERE price_date = ? AND etf_id IN (${completed.map(() => '?').join(', ')})`,
                [date, ...completed.map((r) => r.etfId)],
              )
          ).map((r) => r.etf_id),
    );
    const found = completed.filter((r) => priced.has(r.etfId) && !r.missingDates.includes(date));
    const notes = done
      .filter((r) => !found.includes(r))
      .map((r) =>
        r.status === JobStatus.COMPLETED
          ? `${r.etfId}: no price for ${date}`
          : `${r.etfId}: ${r.errorMessage ?? r.status}`,
      );
    return {
      ended: done.length === rows.length,
      total: rows.length,
      completed: found.length,
      failed: done.length - found.length,
      notes: notes.length ? notes.join('; ') : null,
    };
  }
}
