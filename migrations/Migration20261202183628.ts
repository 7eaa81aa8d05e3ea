import { Migration } from '@mikro-orm/migrations';

/**
 * ECB exchange rates (#13): the rates (`exchange_rates`, natural key, numeric as published),
 * the per-day tracking rows (`exchange_rate_updates`) and the range loads
 * (`exchange_rate_backfills`); then, by hand, the `tracked_jobs` view with a branch for each
 * new type (down() puts the view back as it was before the tables go).
 */
export class Migration20261202183628 extends Migration {
  override name = 'Migration20261202183628';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "exchange_rates" ("rate_date" date not null, "base" text not null, "quote" text not null, "rate" numeric not null, "source" text not null, "updated_at" timestamptz not null default now(), primary key ("rate_date", "base", "quote"));`,
    );

    this.addSql(
      `create table "exchange_rate_backfills" ("id" uuid not null, "status" text not null default 'PENDING', "priority" text not null default 'NORMAL', "tenant_id" text null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "attempts" int not null default 0, "max_attempts" int not null default 3, "lock_token" text null, "queue_job_id" text null, "progress" smallint not null default 0, "progress_message" text null, "error_message" text null, "error_details" jsonb null, "result" jsonb null, "cancelled_by" text null, "cancel_reason" text null, "parent_id" uuid null, "parent_type" text null, "from_date" date not null, "to_date" date not null, "source" text null, "days_stored" int not null default 0, "days_closed" int not null default 0, "notes" text null, primary key ("id"));`,
    );
    this.addSql(
      `create index "exchange_rate_backfills_parent_id_index" on "exchange_rate_backfills" ("parent_id");`,
    );
    this.addSql(
      `create index "exchange_rate_backfills_tenant_id_status_index" on "exchange_rate_backfills" ("tenant_id", "status");`,
    );
    this.addSql(
      `create index "exchange_rate_backfills_queue_job_id_index" on "exchange_rate_backfills" ("queue_job_id");`,
    );
    this.addSql(
      `create index "exchange_rate_backfills_created_at_completed_at_index" on "exchange_rate_backfills" ("created_at", "completed_at");`,
    );
    this.addSql(
      `create index "exchange_rate_backfills_status_index" on "exchange_rate_backfills" ("status");`,
    );

    this.addSql(
      `create table "exchange_rate_updates" ("id" uuid not null, "status" text not null default 'PENDING', "priority" text not null default 'NORMAL', "tenant_id" text null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "attempts" int not null default 0, "max_attempts" int not null default 3, "lock_token" text null, "queue_job_id" text null, "progress" smallint not null default 0, "progress_message" text null, "error_message" text null, "error_details" jsonb null, "result" jsonb null, "cancelled_by" text null, "cancel_reason" text null, "parent_id" uuid null, "parent_type" text null, "update_date" date not null, "base_currency" text not null default 'EUR', "target_currencies" text[] null, "success_count" int not null default 0, "total_count" int not null default 0, "source" text null, "notes" text null, primary key ("id"));`,
    );
    this.addSql(
      `create index "exchange_rate_updates_parent_id_index" on "exchange_rate_updates" ("parent_id");`,
    );
    this.addSql(
      `create index "exchange_rate_updates_tenant_id_status_index" on "exchange_rate_updates" ("tenant_id", "status");`,
    );
    this.addSql(
      `create index "exchange_rate_updates_queue_job_id_index" on "exchange_rate_updates" ("queue_job_id");`,
    );
    this.addSql(
      `create index "exchange_rate_updates_created_at_completed_at_index" on "exchange_rate_updates" ("created_at", "completed_at");`,
    );
    this.addSql(
      `create index "exchange_rate_updates_status_index" on "exchange_rate_updates" ("status");`,
    );
    this.addSql(
      `alter table "exchange_rate_updates" add constraint "exchange_rate_updates_update_date_base_currency_unique" unique ("update_date", "base_currency");`,
    );

    this.addSql(
      `alter table "exchange_rate_backfills" add constraint "exchange_rate_backfills_status_check" check ("status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "exchange_rate_backfills" add constraint "exchange_rate_backfills_priority_check" check ("priority" in ('LOW', 'NORMAL', 'HIGH', 'URGENT'));`,
    );

    this.addSql(
      `alter table "exchange_rate_updates" add constraint "exchange_rate_updates_status_check" check ("status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "exchange_rate_updates" add constraint "exchange_rate_updates_priority_check" check ("priority" in ('LOW', 'NORMAL', 'HIGH', 'URGENT'));`,
    );

    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads" union all select 'exchange-rate-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "base_currency"::text) as "summary" from "exchange_rate_updates" union all select 'exchange-rate-backfill'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "from_date"::text, "to_date"::text) as "summary" from "exchange_rate_backfills";`,
    );
  }

  override down(): void | Promise<void> {
    // The view as it was, before the tables go (a `drop table … cascade` would drop it).
    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads";`,
    );
    this.addSql(`drop table if exists "exchange_rates" cascade;`);
    this.addSql(`drop table if exists "exchange_rate_backfills" cascade;`);
    this.addSql(`drop table if exists "exchange_rate_updates" cascade;`);
  }
}
