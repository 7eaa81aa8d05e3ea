import { Opt } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Etf } from './etf.entity';

/**
 * One daily bar of an ETF, in the ETF's quote unit, exactly as the source gave it (numeric,
 * never a float). `flags` holds the quality rules the bar broke (`zero_price`, `jump_100x`,
 * …; see quality-flags.ts): `{}` checked and clean, null not checked (a CSV upload). Written
 * only by set-based SQL (EtfPriceWriter, uploads); the entity exists so that migrations
 * describe the table.
 */
@Entity({ tableName: 'etf_prices' })
@Index({
  name: 'etf_prices_flagged_index',
  properties: ['etfId', 'priceDate'],
  where: "flags <> '{}'",
})
export class EtfPrice {
  @ManyToOne(() => Etf, {
    primary: true,
    mapToPk: true,
    fieldName: 'etf_id',
    updateRule: 'cascade',
    deleteRule: 'restrict',
  })
  etfId!: string;

  @PrimaryKey({ type: 'date' })
  priceDate!: string;

  @Property({ columnType: 'numeric' })
  open!: string;

  @Property({ columnType: 'numeric' })
  high!: string;

  @Property({ columnType: 'numeric' })
  low!: string;

  @Property({ columnType: 'numeric' })
  close!: string;

  @Property({ columnType: 'numeric', nullable: true })
  adjClose: (string & Opt) | null = null;

  @Property({ columnType: 'numeric', nullable: true })
  volume: (string & Opt) | null = null;

  /** Where the bar came from: the provider, or `upload`. */
  @Property({ type: 'text' })
  source!: string;

  @Property({ type: 'text[]', nullable: true })
  flags: (string[] & Opt) | null = null;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
