import { Opt } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, Property, Unique } from '@mikro-orm/decorators/legacy';
import { ACTIVE_STATUSES } from '../../common/tracking/job-status';
import { TrackedJob } from '../../common/tracking/tracked-job.entity';
import { Etf } from './etf.entity';

export const ETF_UPDATE_TYPES = ['daily', 'backfill', 'repair'] as const;
export type EtfUpdateType = (typeof ETF_UPDATE_TYPES)[number];

/** What an update did to the bars of its range. */
export interface EtfUpdateCounts {
  /** Bars the source returned inside the range. */
  fetched: number;
  inserted: number;
  /** Stored bars whose values changed. */
  updated: number;
  /** Stored bars found equal by value. */
  unchanged: number;
  /** Bars stored with at least one quality flag. */
  flagged: number;
}

export const NO_COUNTS: EtfUpdateCounts = {
  fetched: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  flagged: 0,
};

/**
 * The tracking row of one ETF's price update over [startDate, endDate] (the old system's
 * `etf_updates`). One update of an ETF, type and range may be active at a time (a partial
 * unique index): starting it again returns the active one.
 */
@Entity({ tableName: 'etf_updates' })
@Unique({
  name: 'etf_updates_legacy_ref_unique',
  properties: ['legacyRef'],
  where: { legacyRef: { $ne: null } },
})
@Index({ properties: ['etfId', 'startDate'] })
@Unique({
  name: 'etf_updates_active_unique',
  properties: ['etfId', 'updateType', 'startDate', 'endDate'],
  where: { status: { $in: [...ACTIVE_STATUSES] } },
})
@Check({ name: 'etf_updates_range_check', expression: 'start_date <= end_date' })
export class EtfUpdate extends TrackedJob {
  @ManyToOne(() => Etf, {
    mapToPk: true,
    fieldName: 'etf_id',
    updateRule: 'cascade',
    deleteRule: 'restrict',
  })
  etfId!: string;

  @Property({ type: 'text' })
  @Check({
    name: 'etf_updates_update_type_check',
    expression: "update_type in ('daily', 'backfill', 'repair')",
  })
  updateType!: EtfUpdateType;

  @Property({ type: 'date' })
  startDate!: string;

  @Property({ type: 'date' })
  endDate!: string;

  /**
   * Trading days of the ETF's exchange in the range that still have no price after the
   * fetch (ISO dates, ascending). Never filled in by invention: a missing day stays missing.
   */
  @Property({ type: 'text[]', columnType: 'date[]', defaultRaw: "'{}'" })
  missingDates: string[] & Opt = [];

  @Property({ type: 'jsonb', default: JSON.stringify(NO_COUNTS) })
  counts: EtfUpdateCounts & Opt = { ...NO_COUNTS };

  @Property({ type: 'text', nullable: true })
  notes: (string & Opt) | null = null;

  /**
   * Where an imported row came from (`task_status:42`, `etf_updates:7`,
   * `daily_update_tracking:2026-04-02/exchange_rates`); null for the new system's own rows.
   * Unique where set: what makes a second legacy import change nothing (docs/legacy-import.md).
   */
  @Property({ type: 'text', nullable: true })
  legacyRef: (string & Opt) | null = null;
}
