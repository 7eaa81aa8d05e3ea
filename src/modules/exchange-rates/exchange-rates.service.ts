import { Injectable } from '@nestjs/common';
import { Principal } from '../../common/auth/principal';
import { JobOperations } from '../../common/tracking/job-operations';
import { InjectJobType } from '../../common/tracking/job-type.module';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import { CreatedJob, JobPage, TrackingService } from '../../common/tracking/tracking.service';
import { ExchangeRateBackfill } from './exchange-rate-backfill.entity';
import { ExchangeRateUpdate } from './exchange-rate-update.entity';
import { ECB_BASE, EXCHANGE_RATE_BACKFILL, EXCHANGE_RATE_UPDATE } from './exchange-rates.constants';
import type { IsoDate } from './target-calendar';

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
   * The row of (date, EUR), created and enqueued; an existing row is returned as it is
   * (`created: false`), whatever its status.
   */
  updateDay(
    date: IsoDate,
    principal: Principal | null = null,
  ): Promise<CreatedJob<ExchangeRateUpdate>> {
    return this.createAndEnqueue(
      { updateDate: date, baseCurrency: ECB_BASE },
      systemOwner(principal),
    );
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
