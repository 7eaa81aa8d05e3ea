import { Opt } from '@mikro-orm/core';
import { Entity, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TrackedJob } from '../../common/tracking/tracked-job.entity';

/** Which ECB file a day's rates came from. */
export type RatesFileKind = 'daily' | 'hist-90d' | 'hist';

/**
 * The tracking row of one day's ECB rates: one row per (update date, base currency). A
 * closing day completes with zero rates and a note naming the holiday; "not published
 * yet" is a note on a row that retries.
 */
@Entity({ tableName: 'exchange_rate_updates' })
@Unique({
  name: 'exchange_rate_updates_legacy_ref_unique',
  properties: ['legacyRef'],
  where: { legacyRef: { $ne: null } },
})
@Unique({ properties: ['updateDate', 'baseCurrency'] })
export class ExchangeRateUpdate extends TrackedJob {
  /** The publication day (YYYY-MM-DD), the date inside the ECB file. */
  @Property({ type: 'date' })
  updateDate!: string;

  @Property({ type: 'text', default: 'EUR' })
  baseCurrency: string & Opt = 'EUR';

  /** Currencies wanted; null: every currency the ECB published that day. */
  @Property({ type: 'text[]', nullable: true })
  targetCurrencies: (string[] & Opt) | null = null;

  /** Rates stored (written or found unchanged). */
  @Property({ type: 'integer', default: 0 })
  successCount: number & Opt = 0;

  /** Rates expected: published that day (and wanted). */
  @Property({ type: 'integer', default: 0 })
  totalCount: number & Opt = 0;

  /** The file the rates came from. */
  @Property({ type: 'text', nullable: true })
  source: (RatesFileKind & Opt) | null = null;

  /** What happened to the day: closed and why, not published yet, currencies missing. */
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
