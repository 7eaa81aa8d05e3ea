import { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * An exchange-traded fund as listed on one exchange: the symbol is its id (`VWCE.DE`, `SPY`),
 * the exchange an ISO 10383 MIC whose calendar says which days it trades. Prices are quoted
 * in `quoteUnit`: the trading currency itself, or its minor unit (`GBX`: pence, for GBP).
 */
@Entity({ tableName: 'etfs' })
export class Etf {
  @PrimaryKey({ type: 'text' })
  symbol!: string;

  /** ISO 6166, check digit validated. */
  @Property({ type: 'text', unique: true })
  isin!: string;

  @Property({ type: 'text' })
  name!: string;

  /** ISO 4217 trading currency, e.g. GBP. */
  @Property({ type: 'text' })
  currency!: string;

  /** The unit prices are quoted in: the currency, or its minor unit (GBX = 1/100 GBP). */
  @Property({ type: 'text' })
  quoteUnit!: string;

  /** ISO 10383 MIC of the listing exchange (XNYS, XETR, XLON). */
  @Property({ type: 'text' })
  exchange!: string;

  /** Inactive ETFs keep their prices but get no new updates from the calendar. */
  @Property({ type: 'boolean', default: true })
  active: boolean & Opt = true;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
