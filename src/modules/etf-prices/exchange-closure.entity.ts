import { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * A closure an operator announced (exchanges announce one-off closures days ahead: a
 * national day of mourning, a storm). The exchange calendars read these on top of their
 * rules, so no release is needed.
 */
@Entity({ tableName: 'exchange_closures' })
export class ExchangeClosure {
  @PrimaryKey({ type: 'text' })
  mic!: string;

  @PrimaryKey({ type: 'date' })
  closureDate!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', nullable: true })
  createdBy: (string & Opt) | null = null;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
