import { Injectable } from '@nestjs/common';
import { dateIn } from '../../common/calendar/zoned-time';
import { dayNumber, type IsoDate } from '../../common/calendar/iso-date';
import { appClock } from '../../common/util/clock';
import { Principal } from '../../common/auth/principal';
import { RequestValidationError } from '../../common/http/problem-details.filter';
import { JobOperations } from '../../common/tracking/job-operations';
import { InjectJobType } from '../../common/tracking/job-type.module';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import { CreatedJob, TrackingService } from '../../common/tracking/tracking.service';
import { ETF_UPDATE, MAX_UPDATE_DAYS } from './etf-prices.constants';
import type { EtfUpdate, EtfUpdateType } from './etf-update.entity';
import { EtfsService } from './etfs.service';
import { ExchangeClosuresService } from './exchange-closures.service';

/** Prices are reference data: their jobs are system jobs (no tenant), naming who asked. */
function systemOwner(principal: Principal | null): Principal | null {
  return principal ? { ...principal, tenant: null } : null;
}

/** The producer of ETF price updates: the only place that starts them. */
@Injectable()
export class EtfUpdatesService extends TrackingService<EtfUpdate> {
  constructor(
    ops: JobOperations,
    @InjectJobType(ETF_UPDATE) type: RegisteredJobType<EtfUpdate>,
    private readonly etfs: EtfsService,
    private readonly closures: ExchangeClosuresService,
  ) {
    super(ops, type);
  }

  /**
   * Starts an update of `symbol` over [from, to]; an active one of the same ETF, type and
   * range is returned instead (`created: false`). A `daily` update without a range covers the
   * last session of the ETF's exchange that has closed (`now`, in the exchange's time zone).
   */
  async start(
    symbol: string,
    request: { type: EtfUpdateType; from?: IsoDate; to?: IsoDate },
    principal: Principal | null,
    { now = appClock.now(), parent }: { now?: Date; parent?: { id: string; type: string } } = {},
  ): Promise<CreatedJob<EtfUpdate>> {
    const etf = await this.etfs.get(symbol);
    const calendar = this.closures.calendar(etf.exchange);
    const today = dateIn(now, calendar.timeZone);
    let { from, to } = request;
    if (from === undefined && to === undefined && request.type === 'daily') {
      from = to = await this.closures.lastClosedSession(etf.exchange, now);
    }
    const problems: { field: string; message: string }[] = [];
    if (from === undefined) problems.push({ field: 'from', message: 'from is required' });
    if (to === undefined) problems.push({ field: 'to', message: 'to is required' });
    if (from !== undefined && to !== undefined) {
      if (from > to) problems.push({ field: 'to', message: 'to must not be before from' });
      else if (dayNumber(to) - dayNumber(from) + 1 > MAX_UPDATE_DAYS) {
        problems.push({ field: 'to', message: `a range is at most ${MAX_UPDATE_DAYS} days` });
      }
      if (to > today) {
        problems.push({
          field: 'to',
          message: `${to} is after today on ${calendar.mic} (${today}, ${calendar.timeZone})`,
        });
      }
      if (from < calendar.firstDate) {
        problems.push({
          field: 'from',
          message: `the ${calendar.mic} calendar starts on ${calendar.firstDate}`,
        });
      }
    }
    if (problems.length) throw new RequestValidationError(problems);
    return this.createAndEnqueue(
      { etfId: etf.symbol, updateType: request.type, startDate: from!, endDate: to! },
      systemOwner(principal),
      { parent },
    );
  }
}
