import { Migration } from '@mikro-orm/migrations';

/**
 * The legacy import (#16): `legacy_ref` on the three tables it fills (`task_status:42`, …),
 * unique where set, so that a second import finds what the first one wrote.
 */
export class Migration20261202215947 extends Migration {
  override name = 'Migration20261202215947';

  override up(): void | Promise<void> {
    this.addSql(`alter table "daily_updates" add "legacy_ref" text null;`);
    this.addSql(
      `create unique index "daily_updates_legacy_ref_unique" on "daily_updates" ("legacy_ref") where "legacy_ref" is not null;`,
    );

    this.addSql(`alter table "etf_updates" add "legacy_ref" text null;`);
    this.addSql(
      `create unique index "etf_updates_legacy_ref_unique" on "etf_updates" ("legacy_ref") where "legacy_ref" is not null;`,
    );

    this.addSql(`alter table "exchange_rate_updates" add "legacy_ref" text null;`);
    this.addSql(
      `create unique index "exchange_rate_updates_legacy_ref_unique" on "exchange_rate_updates" ("legacy_ref") where "legacy_ref" is not null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "daily_updates_legacy_ref_unique";`);
    this.addSql(`alter table "daily_updates" drop column "legacy_ref";`);

    this.addSql(`drop index "etf_updates_legacy_ref_unique";`);
    this.addSql(`alter table "etf_updates" drop column "legacy_ref";`);

    this.addSql(`drop index "exchange_rate_updates_legacy_ref_unique";`);
    this.addSql(`alter table "exchange_rate_updates" drop column "legacy_ref";`);
  }
}
