import { Migration } from '@mikro-orm/migrations';

/**
 * ETF prices (#14): the ETFs (`etfs`), their daily bars (`etf_prices`, numeric, upserted on
 * (etf_id, price_date)), the update rows (`etf_updates`, one active per ETF, type and range:
 * a partial unique index) and operator-announced exchange closures (`exchange_closures`);
 * then, by hand, the `tracked_jobs` view with an `etf-update` branch (down() puts the view
 * back as it was before the tables go).
 */
export class Migration20261202213234 extends Migration {
  override name = 'Migration20261202213234';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "etfs" ("symbol" text not null, "isin" text not null, "name" text not null, "currency" text not null, "quote_unit" text not null, "exchange" text not null, "active" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("symbol"));`,
    );
    this.addSql(`alter table "etfs" add constraint "etfs_isin_unique" unique ("isin");`);

    this.addSql(
      `create table "etf_prices" ("etf_id" text not null, "price_date" date not null, "open" numeric not null, "high" numeric not null, "low" numeric not null, "close" numeric not null, "adj_close" numeric null, "volume" numeric null, "source" text not null, "flags" text[] null, "updated_at" timestamptz not null default now(), primary key ("etf_id", "price_date"));`,
    );
    this.addSql(
      `create index "etf_prices_flagged_index" on "etf_prices" ("etf_id", "price_date") where flags <> '{}';`,
    );

    this.addSql(
      `create table "etf_updates" ("id" uuid not null, "status" text not null default 'PENDING', "priority" text not null default 'NORMAL', "tenant_id" text null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "attempts" int not null default 0, "max_attempts" int not null default 3, "lock_token" text null, "queue_job_id" text null, "progress" smallint not null default 0, "progress_message" text null, "error_message" text null, "error_details" jsonb null, "result" jsonb null, "cancelled_by" text null, "cancel_reason" text null, "parent_id" uuid null, "parent_type" text null, "etf_id" text not null, "update_type" text not null, "start_date" date not null, "end_date" date not null, "missing_dates" date[] not null default '{}', "counts" jsonb not null default '{"fetched":0,"inserted":0,"updated":0,"unchanged":0,"flagged":0}', "notes" text null, primary key ("id"));`,
    );
    this.addSql(`create index "etf_updates_parent_id_index" on "etf_updates" ("parent_id");`);
    this.addSql(
      `create index "etf_updates_tenant_id_status_index" on "etf_updates" ("tenant_id", "status");`,
    );
    this.addSql(`create index "etf_updates_queue_job_id_index" on "etf_updates" ("queue_job_id");`);
    this.addSql(
      `create index "etf_updates_created_at_completed_at_index" on "etf_updates" ("created_at", "completed_at");`,
    );
    this.addSql(`create index "etf_updates_status_index" on "etf_updates" ("status");`);
    this.addSql(
      `create index "etf_updates_etf_id_start_date_index" on "etf_updates" ("etf_id", "start_date");`,
    );
    this.addSql(
      `create unique index "etf_updates_active_unique" on "etf_updates" ("etf_id", "update_type", "start_date", "end_date") where "status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING');`,
    );

    this.addSql(
      `create table "exchange_closures" ("mic" text not null, "closure_date" date not null, "name" text not null, "created_by" text null, "created_at" timestamptz not null default now(), primary key ("mic", "closure_date"));`,
    );

    this.addSql(
      `alter table "etf_prices" add constraint "etf_prices_etf_id_foreign" foreign key ("etf_id") references "etfs" ("symbol") on update cascade on delete restrict;`,
    );

    this.addSql(
      `alter table "etf_updates" add constraint "etf_updates_etf_id_foreign" foreign key ("etf_id") references "etfs" ("symbol") on update cascade on delete restrict;`,
    );
    this.addSql(
      `alter table "etf_updates" add constraint "etf_updates_update_type_check" check (update_type in ('daily', 'backfill', 'repair'));`,
    );
    this.addSql(
      `alter table "etf_updates" add constraint "etf_updates_range_check" check (start_date <= end_date);`,
    );
    this.addSql(
      `alter table "etf_updates" add constraint "etf_updates_status_check" check ("status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "etf_updates" add constraint "etf_updates_priority_check" check ("priority" in ('LOW', 'NORMAL', 'HIGH', 'URGENT'));`,
    );

    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads" union all select 'exchange-rate-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "base_currency"::text) as "summary" from "exchange_rate_updates" union all select 'exchange-rate-backfill'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "from_date"::text, "to_date"::text) as "summary" from "exchange_rate_backfills" union all select 'etf-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "etf_id"::text, "update_type"::text, "start_date"::text, "end_date"::text) as "summary" from "etf_updates";`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads" union all select 'exchange-rate-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "base_currency"::text) as "summary" from "exchange_rate_updates" union all select 'exchange-rate-backfill'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "from_date"::text, "to_date"::text) as "summary" from "exchange_rate_backfills";`,
    );
    this.addSql(`alter table "etf_prices" drop constraint "etf_prices_etf_id_foreign";`);
    this.addSql(`alter table "etf_updates" drop constraint "etf_updates_etf_id_foreign";`);

    this.addSql(`drop table if exists "etfs" cascade;`);
    this.addSql(`drop table if exists "etf_prices" cascade;`);
    this.addSql(`drop table if exists "etf_updates" cascade;`);
    this.addSql(`drop table if exists "exchange_closures" cascade;`);
  }
}
