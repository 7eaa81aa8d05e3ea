import { Injectable } from '@nestjs/common';
import { Principal, SYSTEM_PRINCIPAL } from '../../common/auth/principal';
import { DomainError } from '../../common/http/domain-error';
import { JobOperations } from '../../common/tracking/job-operations';
import { JobStatus } from '../../common/tracking/job-status';
import { InjectJobType } from '../../common/tracking/job-type.module';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import {
  CreatedJob,
  CreateJobOptions,
  JobPage,
  TrackingService,
} from '../../common/tracking/tracking.service';
import { ExchangeRateBackfill } from './exchange-rate-backfill.entity';
import { ExchangeRateUpdate } from './exchange-rate-update.entity';
import { ECB_BASE, EXCHANGE_RATE_BACKFILL, EXCHANGE_RATE_UPDATE } from './exchange-rates.constants';
import { ecbToday } from './ecb-schedule';
import { addDays, type IsoDate } from './target-calendar';

/**
 * How far back an ended (FAILED or CANCELLED) day row is re-armed when its day is asked for
 * again: the days the ECB may have published since the row gave up waiting.
 */
export const REARM_DAYS = 7;

/** The producer of range loads (`exchange-rate-backfill`); ExchangeRatesService uses it. */
@Injectable()
export class ExchangeRateBackfillService extends TrackingService<ExchangeRateBackfill> {
  constructor(
    ops: JobOperations,
    @InjectJobType(EXCHANGE_RATE_BACKFILL) type: RegisteredJobType<ExchangeRateBackfill>,
  ) {
    super(ops, type);
  }
}

/** Rates are reference data: their jobs are system jobs (no tenant), naming who asked. */
function systemOwner(principal: Principal | null): Principal | null {
  return principal ? { ...principal, tenant: null } : null;
}

/** The update side of the ECB rates: one day, a range, and the per-day rows. */
@Injectable()
export class ExchangeRatesService extends TrackingService<ExchangeRateUpdate> {
  constructor(
    ops: JobOperations,
    @InjectJobType(EXCHANGE_RATE_UPDATE) type: RegisteredJobType<ExchangeRateUpdate>,
    private readonly backfills: ExchangeRateBackfillService,
  ) {
    super(ops, type);
  }

  /**
   * The row of (date, EUR), created and enqueued. An existing row is returned as it is
   * (`created: false`), except a FAILED or CANCELLED one for a day at most REARM_DAYS old
   * (Europe/Berlin): that one gave up, e.g. polling "not published yet" before the ECB's
   * publication, so it is retried (fresh attempt budget, as an operator's retry) and returned
   * QUEUED. The daily scheduler relies on this for today's row.
   */
  async updateDay(
    date: IsoDate,
    principal: Principal | null = null,
    options: CreateJobOptions = {},
  ): Promise<CreatedJob<ExchangeRateUpdate>> {
    const made = await this.createAndEnqueue(
      { updateDate: date, baseCurrency: ECB_BASE },
      systemOwner(principal),
      options,
    );
    const { job } = made;
    const ended = job.status === JobStatus.FAILED || job.status === JobStatus.CANCELLED;
    if (made.created || !ended || date < addDays(ecbToday(), -REARM_DAYS)) return made;
    try {
      return { job: await this.retry(job.id, SYSTEM_PRINCIPAL), created: false };
    } catch (err) {
      // Another caller re-armed it first (or it is still stopping): the row as it is now.
      if (err instanceof DomainError && err.code === 'CONFLICT') {
        const now = await this.ops.store.em().findOne(ExchangeRateUpdate, { id: job.id });
        return { job: now ?? job, created: false };
      }
      throw err;
    }
  }

  /**
   * One job that downloads the 90-day or the history file once and leaves one per-day row
   * for every day of [from, to] (see ExchangeRateBackfillProcessor).
   */
  updateRange(
    from: IsoDate,
    to: IsoDate,
    principal: Principal | null = null,
  ): Promise<CreatedJob<ExchangeRateBackfill>> {
    return this.backfills.createAndEnqueue({ fromDate: from, toDate: to }, systemOwner(principal));
  }

  /** The per-day rows of [from, to] (either end optional), oldest day first. */
  async listUpdates(query: {
    from?: IsoDate;
    to?: IsoDate;
    limit: number;
    offset: number;
  }): Promise<JobPage<ExchangeRateUpdate>> {
    const range = {
      ...(query.from ? { $gte: query.from } : {}),
      ...(query.to ? { $lte: query.to } : {}),
    };
    const [items, total] = await this.ops.store
      .em()
      .findAndCount(
        ExchangeRateUpdate,
        { baseCurrency: ECB_BASE, ...(query.from || query.to ? { updateDate: range } : {}) },
        { orderBy: { updateDate: 'asc' }, limit: query.limit, offset: query.offset },
      );
    return { items, total, limit: query.limit, offset: query.offset };
  }
}
