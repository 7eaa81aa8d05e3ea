import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { IsoDate } from '../../common/calendar/iso-date';
import { appClock } from '../../common/util/clock';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { JobProcessor } from '../../common/tracking/job-type';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { NEIGHBOUR_BARS, PRICES_SOURCE } from './etf-prices.constants';
import { daysWithoutBar, flaggedDays, storedContext, upsertBars } from './etf-price-writer';
import type { EtfUpdate, EtfUpdateCounts } from './etf-update.entity';
import { Etf } from './etf.entity';
import { ExchangeClosuresService } from './exchange-closures.service';
import type { PriceBar } from './price-bar';
import { PricesSourceError, type PricesSource } from './prices-source';
import { flagBars, type QualityFlag } from './quality-flags';

/**
 * One ETF's prices over [startDate, endDate]. The source's answer is read whole before
 * anything is written (a bad answer fails the attempt, to be retried, and writes nothing);
 * then, in one transaction: the bars with their quality flags, the counts, and the trading
 * days still without a price (`missingDates`; never filled in). A `repair` fetches only the
 * span of the range's missing and flagged days, and writes only those days. A bar of a
 * session that has not closed yet (today's, during trading) is not stored.
 */
@Injectable()
export class EtfUpdateProcessor implements JobProcessor<EtfUpdate> {
  constructor(
    @Inject(PRICES_SOURCE) private readonly source: PricesSource,
    private readonly closures: ExchangeClosuresService,
    private readonly store: TrackingStore,
  ) {}

  async run(job: EtfUpdate, ctx: JobContext<EtfUpdate>) {
    const em = this.store.em();
    const etf = await em.findOne(Etf, { symbol: job.etfId });
    if (!etf) throw new NonRetryableError(`ETF ${job.etfId} does not exist`);
    const { calendar, extra } = await this.closures.forRange(
      etf.exchange,
      job.startDate,
      job.endDate,
    );
    // Only sessions that have closed can miss a price (today's comes after the close).
    const last = await this.closures.lastClosedSession(etf.exchange, appClock.now());
    const expected = calendar
      .tradingDays(job.startDate, job.endDate, extra)
      .filter((day) => day <= last);
    const isOpen = (date: IsoDate) => calendar.day(date, extra).open;

    // The days to write: all of the range, or (repair) only the missing and flagged ones.
    let wanted: Set<IsoDate> | null = null;
    let span = { from: job.startDate, to: job.endDate };
    if (job.updateType === 'repair') {
      const targets = await em.transactional(async (trx: EntityManager) => [
        ...(await daysWithoutBar(trx, etf.symbol, expected)),
        ...(await flaggedDays(trx, etf.symbol, job.startDate, job.endDate)),
      ]);
      if (!targets.length) {
        await ctx.save({ missingDates: [], notes: 'nothing to repair: no missing or flagged day' });
        return { fetched: 0, repaired: 0 };
      }
      targets.sort();
      wanted = new Set(targets);
      span = { from: targets[0], to: targets[targets.length - 1] };
    }

    await ctx.progress(10, `fetching ${etf.symbol} ${span.from}..${span.to}`);
    const answer = await this.source.bars(etf.symbol, span, ctx.signal).catch((err: unknown) => {
      // A refusal that asking again cannot change (e.g. 404: unknown symbol) fails at once.
      if (err instanceof PricesSourceError && !err.retryable) {
        throw new NonRetryableError(err.message, { url: err.url, status: err.status });
      }
      throw err;
    });
    // A session still trading has no close yet: a provider's live bar for it is not stored
    // (the update after the close stores the day). Open days after `last` are only today's.
    const unclosed = answer.bars.filter((b) => b.date > last && isOpen(b.date)).map((b) => b.date);
    const bars = answer.bars.filter(
      (b) => !unclosed.includes(b.date) && (!wanted || wanted.has(b.date)),
    );
    await ctx.progress(60, `storing ${bars.length} bars`);

    const outcome = await em.transactional(async (trx: EntityManager) => {
      const flags = await this.flagsOf(trx, etf.symbol, bars, span, isOpen);
      const written = await upsertBars(trx, etf.symbol, bars, flags, 'provider');
      const missingDates = await daysWithoutBar(trx, etf.symbol, expected);
      const counts: EtfUpdateCounts = {
        fetched: bars.length,
        ...written,
        flagged: bars.filter((b) => flags.get(b.date)?.length).length,
      };
      const notes = describe(counts, missingDates, flags, unclosed);
      await ctx.save({ counts, missingDates, notes }, { em: trx });
      return { counts, missingDates };
    });
    ctx.logger.info(
      { etf: etf.symbol, ...outcome.counts, missing: outcome.missingDates.length },
      'etf prices stored',
    );
    return { ...outcome.counts, missing: outcome.missingDates.length };
  }

  /**
   * The flags of the fetched bars, judged with the stored bars around them (a price jump
   * needs the level around it). Stored bars already flagged `jump_100x` are left out of that
   * level (storedContext), so a pence/pound block that lasts weeks keeps being flagged day
   * after day, however long it lasts, and the first good bar after it is judged good.
   */
  private async flagsOf(
    em: EntityManager,
    etfId: string,
    bars: readonly PriceBar[],
    span: { from: IsoDate; to: IsoDate },
    isOpen: (date: IsoDate) => boolean,
  ): Promise<Map<IsoDate, QualityFlag[]>> {
    const fetched = new Set(bars.map((b) => b.date));
    const stored = await storedContext(em, etfId, span.from, span.to, NEIGHBOUR_BARS);
    const series = [...stored.filter((b) => !fetched.has(b.date)), ...bars].sort((a, b) =>
      a.date < b.date ? -1 : a.date > b.date ? 1 : 0,
    );
    const all = flagBars(series, isOpen);
    return new Map([...all].filter(([date]) => fetched.has(date)));
  }
}

/** A line for the row: what is missing, what was flagged, what was left for after the close. */
function describe(
  counts: EtfUpdateCounts,
  missing: readonly IsoDate[],
  flags: ReadonlyMap<IsoDate, readonly QualityFlag[]>,
  unclosed: readonly IsoDate[],
): string | null {
  const parts: string[] = [];
  if (unclosed.length) {
    parts.push(`the bar of ${unclosed.join(', ')} not stored: its session had not closed`);
  }
  if (missing.length) {
    const shown = missing.slice(0, 10).join(', ');
    parts.push(
      `${missing.length} trading day(s) without a price: ${shown}${missing.length > 10 ? ', …' : ''}`,
    );
  }
  if (counts.flagged) {
    const byRule = new Map<string, number>();
    for (const list of flags.values())
      for (const f of list) byRule.set(f, (byRule.get(f) ?? 0) + 1);
    parts.push(
      `${counts.flagged} bar(s) flagged: ${[...byRule].map(([r, n]) => `${r} ${n}`).join(', ')}`,
    );
  }
  return parts.length ? parts.join('; ') : null;
}
