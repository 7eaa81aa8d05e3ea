import { Injectable } from '@nestjs/common';
import { addDays, dayNumber, fromDayNumber, type IsoDate } from '../../common/calendar/iso-date';
import { dateIn } from '../../common/calendar/zoned-time';
import { DailySources, type DailySource } from '../../common/daily/daily-source';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/http/domain-error';
import { ACTIVE_STATUSES, JobStatus } from '../../common/tracking/job-status';
import { JobOperations } from '../../common/tracking/job-operations';
import { InjectJobType } from '../../common/tracking/job-type.module';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import { CreatedJob, TrackingService } from '../../common/tracking/tracking.service';
import { appClock } from '../../common/util/clock';
import { AppConfig } from '../../config/app-config';
import { DAILY_UPDATE } from './daily-updates.constants';
import {
  DailyUpdate,
  ENDED_SLOT_STATES,
  type SlotState,
  type StoredSlotState,
} from './daily-update.entity';

/** One entry of the calendar: a slot, created or not yet. */
export interface SlotEntry {
  date: IsoDate;
  type: string;
  state: SlotState;
  row: DailyUpdate | null;
  dueAt: Date | null;
}

/** A slot to create now: its day and source. */
interface DueSlot {
  date: IsoDate;
  source: DailySource;
}

/**
 * The daily-update calendar: creates the slots that are due (catching up missed days,
 * oldest first), runs one on request, and answers the calendar with the states the clock
 * implies for slots not created yet. Every replica may create at once: a slot's row is
 * unique per (day, type), and only the replica whose insert won enqueues it.
 */
@Injectable()
export class DailyUpdatesService extends TrackingService<DailyUpdate> {
  constructor(
    ops: JobOperations,
    @InjectJobType(DAILY_UPDATE) type: RegisteredJobType<DailyUpdate>,
    private readonly sources: DailySources,
    private readonly config: AppConfig,
  ) {
    super(ops, type);
  }

  private get graceMs(): number {
    return this.config.env.DAILY_GRACE_MINUTES * 60_000;
  }

  /**
   * Creates and starts every slot due at `now` within DAILY_CATCHUP_DAYS (today included)
   * that has no row yet, oldest day first. Returns the slots this call created.
   */
  async createDueSlots(now: Date = appClock.now()): Promise<DailyUpdate[]> {
    const due: DueSlot[] = [];
    for (const source of await this.sources.all()) {
      const today = dateIn(now, source.timeZone);
      const first = addDays(today, -this.config.env.DAILY_CATCHUP_DAYS);
      const existing = new Set(
        (
          await this.ops.store
            .em()
            .find(
              DailyUpdate,
              { updateType: source.type, updateDate: { $gte: first, $lte: today } },
              { fields: ['updateDate'] },
            )
        ).map((r) => r.updateDate),
      );
      for (let n = dayNumber(first); n <= dayNumber(today); n += 1) {
        const date = fromDayNumber(n);
        if (date < source.firstDate || existing.has(date)) continue;
        if ((await source.dueAt(date)) <= now) due.push({ date, source });
      }
    }
    due.sort((a, b) =>
      a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.source.type < b.source.type ? -1 : 1,
    );
    const created: DailyUpdate[] = [];
    for (const { date, source } of due) {
      const made = await this.createAndEnqueue({ updateDate: date, updateType: source.type }, null);
      if (made.created) created.push(made.job);
    }
    return created;
  }

  /**
   * Runs one slot now, or again: a new slot is created; an ended one is re-run (its children
   * that gave up start anew); a slot still running is a 409.
   */
  async runSlot(
    date: IsoDate,
    type: string,
    principal: Principal,
    now: Date = appClock.now(),
  ): Promise<CreatedJob<DailyUpdate>> {
    const source = await this.sources.get(type);
    if (!source) {
      const known = (await this.sources.all()).map((s) => s.type).join(', ');
      throw new DomainError('NOT_FOUND', `no daily source "${type}" (known: ${known || 'none'})`);
    }
    const today = dateIn(now, source.timeZone);
    if (date > today || date < source.firstDate) {
      throw new DomainError(
        'INVALID_INPUT',
        `${type} has slots from ${source.firstDate} to today (${today}, ${source.timeZone})`,
        { errors: [{ field: 'date', message: `must be from ${source.firstDate} to ${today}` }] },
      );
    }
    const owner = { ...principal, tenant: null };
    const made = await this.createAndEnqueue({ updateDate: date, updateType: type }, owner);
    if (made.created) return made;
    const job = made.job;
    if (ACTIVE_STATUSES.includes(job.status)) {
      throw new DomainError('CONFLICT', `the ${type} slot of ${date} is running (${job.status})`, {
        jobId: job.id,
        jobStatus: job.status,
      });
    }
    const rerun = await this.ops.retry(
      { type: this.ops.registry.get(DAILY_UPDATE.type)!, job },
      {
        rerun: true,
        reset: {
          state: 'scheduled',
          childJobs: null,
          dataFound: null,
          notes: null,
          childrenTotal: 0,
          childrenCompleted: 0,
          childrenFailed: 0,
        },
      },
    );
    return { job: rerun as DailyUpdate, created: false };
  }

  /**
   * The calendar of [from, to]: one entry per day and source (`type` only that source),
   * with the slot's row where there is one. A day without a row is `no_data` when the
   * calendar says closed, `overdue` once its due time plus grace has passed, `scheduled`
   * before. A row that has not ended is `overdue` once its due time plus grace has passed,
   * on an open day; one whose job failed is `failed` (storedState). Rows of types no source
   * registers (legacy) are listed as they are.
   */
  async calendar(
    from: IsoDate,
    to: IsoDate,
    type: string | undefined,
    now: Date = appClock.now(),
  ): Promise<SlotEntry[]> {
    const rows = await this.ops.store
      .em()
      .find(
        DailyUpdate,
        { updateDate: { $gte: from, $lte: to }, ...(type ? { updateType: type } : {}) },
        { orderBy: { updateDate: 'asc', updateType: 'asc' } },
      );
    const byKey = new Map(rows.map((r) => [`${r.updateDate} ${r.updateType}`, r]));
    const sources = (await this.sources.all()).filter((s) => !type || s.type === type);
    const entries: SlotEntry[] = [];
    for (const source of sources) {
      for (let n = dayNumber(from); n <= dayNumber(to); n += 1) {
        const date = fromDayNumber(n);
        if (date < source.firstDate) continue;
        const row = byKey.get(`${date} ${source.type}`) ?? null;
        byKey.delete(`${date} ${source.type}`);
        entries.push(await this.entry(source, date, row, now));
      }
    }
    for (const row of byKey.values()) {
      entries.push({
        date: row.updateDate,
        type: row.updateType,
        state: storedState(row),
        row,
        dueAt: null,
      });
    }
    return entries.sort((a, b) =>
      a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.type < b.type ? -1 : 1,
    );
  }

  /** The state of one slot of a registered source at `now`. */
  async entry(
    source: DailySource,
    date: IsoDate,
    row: DailyUpdate | null,
    now: Date,
  ): Promise<SlotEntry> {
    const dueAt = await source.dueAt(date);
    const late = now.getTime() > dueAt.getTime() + this.graceMs;
    let state: SlotState;
    if (row) {
      state = storedState(row);
      // A closed day owes no data: its slot, not run yet (the workers are behind), is never
      // overdue, so that the freshness alerts stay silent over weekends and holidays.
      if (!ENDED_SLOT_STATES.includes(state) && late && (await source.day(date)).open) {
        state = 'overdue';
      }
    } else {
      const day = await source.day(date);
      state = !day.open ? 'no_data' : late ? 'overdue' : 'scheduled';
    }
    return { date, type: source.type, state, row, dueAt };
  }
}

/**
 * A row's state as stored, except where its job failed before the slot could store how it
 * ended (every attempt threw, the hard time limit, orphan rescue): that slot is `failed`
 * (nothing runs it again until it is re-run), not `running` or `overdue` for ever.
 */
export function storedState(row: DailyUpdate): StoredSlotState {
  return row.status === JobStatus.FAILED && !ENDED_SLOT_STATES.includes(row.state)
    ? 'failed'
    : row.state;
}
