import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { JobProcessor } from '../../common/tracking/job-type';
import { TrackingStore } from '../../common/tracking/tracking-store';
import type { EcbDay } from './ecb-format';
import { ecbToday, fileFor } from './ecb-schedule';
import { ExchangeRateUpdate } from './exchange-rate-update.entity';
import { closedNote, dayOutcome, upsertRates } from './exchange-rate-writer';
import { ECB_BASE, RATES_SOURCE } from './exchange-rates.constants';
import type { RatesSource } from './rates-source';
import { FIRST_PUBLICATION_DAY } from './target-calendar';

/** The ECB has not published the day yet (its newest file is older): retried with backoff. */
export class NotPublishedYetError extends Error {
  constructor(
    readonly date: string,
    readonly latest: string | null,
  ) {
    super(`not published yet: the ECB's latest file is ${latest ?? 'empty'} (waiting for ${date})`);
    this.name = 'NotPublishedYetError';
  }
}

/** A file that should have the day but does not (TARGET was open): retried with backoff. */
export class MissingDayError extends Error {
  constructor(date: string, file: string, latest: string | null) {
    super(
      `the ECB ${file} file has no rates for ${date} although TARGET was open (its newest day: ${latest ?? 'none'})`,
    );
    this.name = 'MissingDayError';
  }
}

/**
 * One day's euro reference rates. A TARGET closing day completes with zero rates and the
 * holiday's name, without a download. Otherwise the smallest file that has the day is read
 * whole; the day's rates and the row's counts are written in one transaction, only once
 * the whole file parsed. An older file than the day means "not published yet": the row says
 * so and the attempt fails to be retried with backoff; older rates are never stored under
 * the day.
 */
@Injectable()
export class ExchangeRateUpdateProcessor implements JobProcessor<ExchangeRateUpdate> {
  constructor(
    @Inject(RATES_SOURCE) private readonly source: RatesSource,
    private readonly store: TrackingStore,
  ) {}

  async run(job: ExchangeRateUpdate, ctx: JobContext<ExchangeRateUpdate>) {
    const date = job.updateDate;
    if (job.baseCurrency !== ECB_BASE) {
      throw new NonRetryableError(
        `the ECB publishes rates against EUR only, not ${job.baseCurrency}`,
      );
    }
    if (date < FIRST_PUBLICATION_DAY) {
      throw new NonRetryableError(
        `the ECB's rates start on ${FIRST_PUBLICATION_DAY}; ${date} is before`,
      );
    }
    const closed = closedNote(date);
    if (closed) {
      await ctx.save({ successCount: 0, totalCount: 0, source: null, notes: closed });
      return { rates: 0, closed: true };
    }
    const today = ecbToday();
    if (date > today) {
      throw new NonRetryableError(
        `${date} is in the future (today is ${today} in Europe/Berlin): no rates can exist yet`,
      );
    }
    const kind = fileFor(date, today);
    let found: EcbDay | null = null;
    let latest: string | null = null;
    let days = 0;
    // The whole file is read (a fault anywhere means nothing is written); only the day is kept.
    for await (const day of this.source.days(kind, ctx.signal)) {
      days += 1;
      if (latest === null || day.date > latest) latest = day.date;
      if (day.date === date) found = day;
    }
    if (!found) {
      if (latest === null || latest < date) {
        const error = new NotPublishedYetError(date, latest);
        await ctx.save({
          notes: `not published yet: the ECB's latest file is ${latest ?? 'empty'}`,
          source: kind,
        });
        throw error;
      }
      throw new MissingDayError(date, kind, latest);
    }
    const outcome = dayOutcome(found, job.targetCurrencies);
    const counts = await this.store.em().transactional(async (em: EntityManager) => {
      const written = await upsertRates(em, [{ date, rates: outcome.rates }], kind);
      await ctx.save(
        {
          successCount: outcome.successCount,
          totalCount: outcome.totalCount,
          source: kind,
          notes: outcome.notes,
        },
        { em },
      );
      return written;
    });
    ctx.logger.info({ date, kind, days, ...counts }, 'exchange rates stored');
    return { rates: outcome.successCount, file: kind, ...counts };
  }
}
