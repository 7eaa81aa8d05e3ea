import { Opt } from '@mikro-orm/core';
import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { TrackedJob } from '../../common/tracking/tracked-job.entity';
import type { RatesFileKind } from './exchange-rate-update.entity';

/**
 * A range of days loaded from one download (the 90-day or the history file). It leaves one
 * `exchange_rate_updates` row per day of the range as its child, saying what happened.
 */
@Entity({ tableName: 'exchange_rate_backfills' })
export class ExchangeRateBackfill extends TrackedJob {
  @Property({ type: 'date' })
  fromDate!: string;

  @Property({ type: 'date' })
  toDate!: string;

  @Property({ type: 'text', nullable: true })
  source: (RatesFileKind & Opt) | null = null;

  /** Days whose rates were stored. */
  @Property({ type: 'integer', default: 0 })
  daysStored: number & Opt = 0;

  /** TARGET closing days of the range (completed with zero rates). */
  @Property({ type: 'integer', default: 0 })
  daysClosed: number & Opt = 0;

  @Property({ type: 'text', nullable: true })
  notes: (string & Opt) | null = null;
}
