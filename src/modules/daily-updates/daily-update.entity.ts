import { Opt } from '@mikro-orm/core';
import { Check, Entity, Index, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { ChildRef } from '../../common/daily/daily-source';
import { TrackedJob } from '../../common/tracking/tracked-job.entity';

/**
 * A slot's state, as the calendar shows it. Stored: `scheduled` (created, not run yet),
 * `running`, `done` (every child found the day's data), `no_data` (the calendar says
 * closed), `partial` (some children failed or found nothing), `failed`. `overdue` is never
 * stored: it is read off the clock (due time plus grace passed, not ended).
 */
export const SLOT_STATES = [
  'scheduled',
  'running',
  'done',
  'no_data',
  'partial',
  'failed',
  'overdue',
] as const;
export type SlotState = (typeof SLOT_STATES)[number];
export type StoredSlotState = Exclude<SlotState, 'overdue'>;

/** States after which a slot's work is over. */
export const ENDED_SLOT_STATES: readonly SlotState[] = ['done', 'no_data', 'partial', 'failed'];

/**
 * One expected run of one kind of daily work (the old `daily_update_tracking`): one row per
 * (update date, update type), the parent of the domain jobs it starts. It says what the old
 * table could not: "closed" (no_data) apart from "never ran" (no row: scheduled or overdue)
 * apart from "ran and found nothing" (failed or partial).
 */
@Entity({ tableName: 'daily_updates' })
@Unique({
  name: 'daily_updates_legacy_ref_unique',
  properties: ['legacyRef'],
  where: { legacyRef: { $ne: null } },
})
@Unique({ properties: ['updateDate', 'updateType'] })
@Index({ properties: ['updateType', 'updateDate'] })
@Check({
  name: 'daily_updates_state_check',
  expression: "state in ('scheduled', 'running', 'done', 'no_data', 'partial', 'failed')",
})
export class DailyUpdate extends TrackedJob {
  @Property({ type: 'date' })
  updateDate!: string;

  /** The source, e.g. `exchange-rates`, `etf-prices:XNYS`. */
  @Property({ type: 'text' })
  updateType!: string;

  @Property({ type: 'text', default: 'scheduled' })
  state: StoredSlotState & Opt = 'scheduled';

  /** Whether the day's data arrived; null until the slot has run. */
  @Property({ type: 'boolean', nullable: true })
  dataFound: (boolean & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  notes: (string & Opt) | null = null;

  /** The domain jobs the slot started (kept, so a retried attempt waits for the same ones). */
  @Property({ type: 'jsonb', nullable: true })
  childJobs: (ChildRef[] & Opt) | null = null;

  @Property({ type: 'integer', default: 0 })
  childrenTotal: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  childrenCompleted: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  childrenFailed: number & Opt = 0;

  /**
   * Where an imported row came from (`task_status:42`, `etf_updates:7`,
   * `daily_update_tracking:2026-04-02/exchange_rates`); null for the new system's own rows.
   * Unique where set: what makes a second legacy import change nothing (docs/legacy-import.md).
   */
  @Property({ type: 'text', nullable: true })
  legacyRef: (string & Opt) | null = null;
}
