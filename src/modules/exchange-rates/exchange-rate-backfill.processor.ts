import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { v7 as uuidv7 } from 'uuid';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { JobProcessor } from '../../common/tracking/job-type';
import { TrackingStore } from '../../common/tracking/tracking-store';
import type { EcbDay } from './ecb-format';
import { ecbToday, fileFor } from './ecb-schedule';
import { ExchangeRateBackfill } from './exchange-rate-backfill.entity';
import { MissingDayError } from './exchange-rate-update.processor';
import { closedNote, dayOutcome, upsertRates, type WriteCounts } from './exchange-rate-writer';
import {
  ECB_BASE,
  EXCHANGE_RATE_BACKFILL,
  EXCHANGE_RATE_UPDATE,
  RATES_SOURCE,
} from './exchange-rates.constants';
import { ExchangeRatesService } from './exchange-rates.service';
import type { RatesSource } from './rates-source';
import { addDays, FIRST_PUBLICATION_DAY, type IsoDate } from './target-calendar';

/** Days of rates per write while the file streams (all in the one transaction). */
const FLUSH_DAYS = 100;

interface DayRow {
  id: string;
  d: IsoDate;
  s: number;
  n: number;
  notes: string | null;
}

/**
 * A range of days from ONE download (the 90-day file, or the full history for older days).
 * In one transaction, committed only once the whole file parsed: the rates of every day of
 * the range, one `exchange_rate_updates` row per day as this job's child (COMPLETED, with
 * its counts, or "closed: <why>"), and this row's totals. A day row that is active (a
 * single-day job queued or running) is left to its job. Days the ECB has not published yet
 * (after the file's newest day) are handed to single-day jobs, which wait for them.
 */
@Injectable()
export class ExchangeRateBackfillProcessor implements JobProcessor<ExchangeRateBackfill> {
  constructor(
    @Inject(RATES_SOURCE) private readonly source: RatesSource,
    private readonly store: TrackingStore,
    private readonly days: ExchangeRatesService,
  ) {}

  async run(job: ExchangeRateBackfill, ctx: JobContext<ExchangeRateBackfill>) {
    const { fromDate: from, toDate: to } = job;
    const today = ecbToday();
    if (from > to) throw new NonRetryableError(`the range ${from}..${to} ends before it starts`);
    if (from < FIRST_PUBLICATION_DAY) {
      throw new NonRetryableError(
        `the ECB's rates start on ${FIRST_PUBLICATION_DAY}; ${from} is before`,
      );
    }
    if (to > today) {
      throw new NonRetryableError(`${to} is in the future (today is ${today} in Europe/Berlin)`);
    }
    const kind = fileFor(from, today);
    const outcome = await this.store.em().transactional(async (em: EntityManager) => {
      const published = new Map<IsoDate, { s: number; n: number; notes: string | null }>();
      const counts: WriteCounts = { inserted: 0, updated: 0, unchanged: 0 };
      let latest: IsoDate | null = null;
      let pending: EcbDay[] = [];
      const flush = async () => {
        const written = await upsertRates(em, pending, kind);
        counts.inserted += written.inserted;
        counts.updated += written.updated;
        counts.unchanged += written.unchanged;
        pending = [];
      };
      for await (const day of this.source.days(kind, ctx.signal)) {
        if (latest === null || day.date > latest) latest = day.date;
        if (day.date < from || day.date > to) continue;
        const one = dayOutcome(day, null);
        published.set(day.date, { s: one.successCount, n: one.totalCount, notes: one.notes });
        pending.push(day);
        if (pending.length >= FLUSH_DAYS) await flush();
      }
      await flush();

      const rows: DayRow[] = [];
      const notYet: IsoDate[] = [];
      let closed = 0;
      for (let d = from; d <= to; d = addDays(d, 1)) {
        const day = published.get(d);
        const closing = closedNote(d);
        if (day) rows.push({ id: uuidv7(), d, ...day });
        else if (closing) {
          closed += 1;
          rows.push({ id: uuidv7(), d, s: 0, n: 0, notes: closing });
        } else if (latest === null || d > latest) notYet.push(d);
        else throw new MissingDayError(d, kind, latest);
      }
      const skipped = rows.length - (await this.upsertDayRows(em, job, kind, rows));
      const notes = [
        `${published.size} days stored, ${closed} closed, from the ${kind} file (newest day ${latest ?? 'none'})`,
        skipped ? `${skipped} days left to their own running job` : null,
        notYet.length
          ? `not published yet: ${notYet.join(', ')} (single-day jobs wait for them)`
          : null,
      ]
        .filter(Boolean)
        .join('; ');
      await ctx.save(
        { source: kind, daysStored: published.size, daysClosed: closed, notes },
        { em },
      );
      return { daysStored: published.size, daysClosed: closed, skipped, notYet, counts };
    });
    // After the commit: the days not out yet get their single-day job (which polls).
    for (const d of outcome.notYet) await this.days.updateDay(d);
    return { file: kind, ...outcome };
  }

  /**
   * One COMPLETED row per day, this job's child; active rows untouched. A FAILED or
   * CANCELLED row taken over loses its error and cancel fields and its lock token, and its
   * notes say so ("was FAILED; filled by backfill <id>"). Returns rows written.
   */
  private async upsertDayRows(
    em: EntityManager,
    job: ExchangeRateBackfill,
    kind: string,
    rows: DayRow[],
  ): Promise<number> {
    let written = 0;
    for (let i = 0; i < rows.length; i += 2_000) {
      const [result] = await em.execute<{ written: string }[]>(
        `WITH written AS (
           INSERT INTO exchange_rate_updates (
             id, status, priority, tenant_id, created_by, created_at, updated_at, started_at,
             completed_at, attempts, max_attempts, progress, result, parent_id, parent_type,
             update_date, base_currency, success_count, total_count, source, notes)
           SELECT t.id::uuid, 'COMPLETED', 'NORMAL', NULL, ?, now(), now(), now(), now(), 0, ?,
             100, jsonb_build_object('backfill', ?::text), ?::uuid, ?, t.d::date, ?, t.s, t.n, ?,
             t.notes
           FROM jsonb_to_recordset(?::jsonb) AS t(id text, d text, s int, n int, notes text)
           ON CONFLICT (update_date, base_currency) DO UPDATE SET
             status = 'COMPLETED', updated_at = now(), completed_at = now(), progress = 100,
             error_message = NULL, error_details = NULL, lock_token = NULL,
             cancelled_by = NULL, cancel_reason = NULL, result = EXCLUDED.result,
             parent_id = EXCLUDED.parent_id, parent_type = EXCLUDED.parent_type,
             success_count = EXCLUDED.success_count, total_count = EXCLUDED.total_count,
             source = EXCLUDED.source,
             notes = CASE WHEN exchange_rate_updates.status IN ('FAILED', 'CANCELLED')
               THEN concat_ws('; ', EXCLUDED.notes,
                 'was ' || exchange_rate_updates.status || '; filled by backfill ' || ?::text)
               ELSE EXCLUDED.notes END
           WHERE exchange_rate_updates.status IN ('COMPLETED', 'FAILED', 'CANCELLED')
           RETURNING 1
         )
         SELECT count(*) AS written FROM written`,
        [
          job.createdBy,
          EXCHANGE_RATE_UPDATE.maxAttempts ?? 3,
          job.id,
          job.id,
          EXCHANGE_RATE_BACKFILL.type,
          ECB_BASE,
          kind,
          JSON.stringify(rows.slice(i, i + 2_000)),
          job.id,
        ],
        'all',
      );
      written += Number(result.written);
    }
    return written;
  }
}
