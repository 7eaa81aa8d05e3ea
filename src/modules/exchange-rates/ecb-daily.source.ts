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
import { SYSTEM_PRINCIPAL } from '../../common/auth/principal';
import { isTerminal, JobStatus } from '../../common/tracking/job-status';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { AppConfig } from '../../config/app-config';
import { ECB_TIME_ZONE } from './ecb-schedule';
import { ExchangeRateUpdate } from './exchange-rate-update.entity';
import { EXCHANGE_RATE_UPDATE } from './exchange-rates.constants';
import { ExchangeRatesService } from './exchange-rates.service';
import { FIRST_PUBLICATION_DAY, isTargetClosed } from './target-calendar';

/**
 * The ECB's rates as a daily source (`exchange-rates`): TARGET days, due at ECB_DUE_TIME
 * (Berlin), one child: the day's exchange-rate-update row (the same row the ECB's own cron
 * and the API use; a day has one).
 */
@Injectable()
export class EcbDailySource implements DailySource, DailySourceProvider, OnModuleInit {
  readonly type = 'exchange-rates';
  readonly timeZone = ECB_TIME_ZONE;
  readonly firstDate = FIRST_PUBLICATION_DAY;

  constructor(
    private readonly registry: DailySources,
    private readonly rates: ExchangeRatesService,
    private readonly store: TrackingStore,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  sources(): Promise<DailySource[]> {
    return Promise.resolve([this]);
  }

  day(date: IsoDate): Promise<SlotDay> {
    const day = isTargetClosed(date);
    if (!day.closed) return Promise.resolve({ open: true });
    const name = day.reason === 'weekend' ? day.name : `${day.name} (TARGET holiday)`;
    return Promise.resolve({ open: false, name });
  }

  dueAt(date: IsoDate): Promise<Date> {
    return Promise.resolve(instantAt(date, this.config.env.ECB_DUE_TIME, ECB_TIME_ZONE));
  }

  async startChildren(
    date: IsoDate,
    parent: { id: string; type: string },
    rerun: boolean,
  ): Promise<ChildRef[]> {
    let { job } = await this.rates.updateDay(date, null, { parent });
    const gaveUp = job.status === JobStatus.FAILED || job.status === JobStatus.CANCELLED;
    // A day's row that gave up before this slot ran (the ECB's own cron, an older run: one
    // older than REARM_DAYS is not re-armed by updateDay) is started anew too: a slot's first
    // run fetches, it does not end `failed` on someone else's old attempt.
    if (gaveUp && (rerun || job.parentId !== parent.id)) {
      job = await this.rates.retry(job.id, SYSTEM_PRINCIPAL);
    }
    return [{ type: EXCHANGE_RATE_UPDATE.type, id: job.id }];
  }

  async outcome(date: IsoDate, children: readonly ChildRef[]): Promise<ChildrenOutcome> {
    const rows = await this.store
      .em()
      .find(ExchangeRateUpdate, { id: { $in: children.map((c) => c.id) } });
    const ended = rows.every((r) => isTerminal(r.status));
    const found = rows.filter((r) => r.status === JobStatus.COMPLETED && r.successCount > 0);
    const notes = rows
      .filter((r) => isTerminal(r.status) && !found.includes(r))
      .map((r) => `ECB ${date}: ${r.errorMessage ?? r.notes ?? r.status}`);
    return {
      ended,
      total: rows.length,
      completed: found.length,
      failed: rows.filter((r) => isTerminal(r.status)).length - found.length,
      notes: notes.length ? notes.join('; ') : null,
    };
  }
}
