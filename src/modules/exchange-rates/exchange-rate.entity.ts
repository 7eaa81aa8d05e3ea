import { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One euro foreign exchange reference rate as the ECB published it: EUR→quote on a
 * publication day. The natural key is the primary key; `rate` is numeric in the database
 * and the published decimal string in code (never a JS number). Written only by SQL
 * upserts (ExchangeRateWriter); the entity exists so that migrations describe it.
 */
@Entity({ tableName: 'exchange_rates' })
export class ExchangeRate {
  @PrimaryKey({ type: 'date' })
  rateDate!: string;

  @PrimaryKey({ type: 'text' })
  base!: string;

  @PrimaryKey({ type: 'text' })
  quote!: string;

  @Property({ columnType: 'numeric' })
  rate!: string;

  /** The file it came from ('daily', 'hist-90d', 'hist', or an upload). */
  @Property({ type: 'text' })
  source!: string;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
