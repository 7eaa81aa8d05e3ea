import { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * A tenant's bank or ledger transaction: the `transactions` dataset's table. Written only
 * by set-based SQL (COPY + upsert); the entity exists so that migrations describe it.
 */
@Entity({ tableName: 'transactions' })
@Unique({ properties: ['tenantId', 'externalId'] })
export class Transaction {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string & Opt;

  @Property({ type: 'text' })
  tenantId!: string;

  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: 'text' })
  account!: string;

  @Property({ type: 'date' })
  bookedAt!: string;

  /** Money: numeric in the database, a string in code. */
  @Property({ columnType: 'numeric(18,4)' })
  amount!: string;

  @Property({ columnType: 'char(3)' })
  currency!: string;

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'text', nullable: true })
  category: string | null = null;

  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  /** Last time an upload changed the row (an unchanged re-upload leaves it). */
  @Property({ columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
