import { Migration } from '@mikro-orm/migrations';

/**
 * The daily-update calendar (#15): one slot row per (update date, update type), the parent
 * of the domain jobs it starts; then, by hand, the `tracked_jobs` view with a `daily-update`
 * branch (down() puts the view back as it was before the table goes).
 */
export class Migration20261202215007 extends Migration {
  override name = 'Migration20261202215007';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "daily_updates" ("id" uuid not null, "status" text not null default 'PENDING', "priority" text not null default 'NORMAL', "tenant_id" text null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "attempts" int not null default 0, "max_attempts" int not null default 3, "lock_token" text null, "queue_job_id" text null, "progress" smallint not null default 0, "progress_message" text null, "error_message" text null, "error_details" jsonb null, "result" jsonb null, "cancelled_by" text null, "cancel_reason" text null, "parent_id" uuid null, "parent_type" text null, "update_date" date not null, "update_type" text not null, "state" text not null default 'scheduled', "data_found" boolean null, "notes" text null, "child_jobs" jsonb null, "children_total" int not null default 0, "children_completed" int not null default 0, "children_failed" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`create index "daily_updates_parent_id_index" on "daily_updates" ("parent_id");`);
    this.addSql(
      `create index "daily_updates_tenant_id_status_index" on "daily_updates" ("tenant_id", "status");`,
    );
    this.addSql(
      `create index "daily_updates_queue_job_id_index" on "daily_updates" ("queue_job_id");`,
    );
    this.addSql(
      `create index "daily_updates_created_at_completed_at_index" on "daily_updates" ("created_at", "completed_at");`,
    );
    this.addSql(`create index "daily_updates_status_index" on "daily_updates" ("status");`);
    this.addSql(
      `create index "daily_updates_update_type_update_date_index" on "daily_updates" ("update_type", "update_date");`,
    );
    this.addSql(
      `alter table "daily_updates" add constraint "daily_updates_update_date_update_type_unique" unique ("update_date", "update_type");`,
    );

    this.addSql(
      `alter table "daily_updates" add constraint "daily_updates_state_check" check (state in ('scheduled', 'running', 'done', 'no_data', 'partial', 'failed'));`,
    );
    this.addSql(
      `alter table "daily_updates" add constraint "daily_updates_status_check" check ("status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "daily_updates" add constraint "daily_updates_priority_check" check ("priority" in ('LOW', 'NORMAL', 'HIGH', 'URGENT'));`,
    );

    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads" union all select 'exchange-rate-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "base_currency"::text) as "summary" from "exchange_rate_updates" union all select 'exchange-rate-backfill'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "from_date"::text, "to_date"::text) as "summary" from "exchange_rate_backfills" union all select 'etf-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "etf_id"::text, "update_type"::text, "start_date"::text, "end_date"::text) as "summary" from "etf_updates" union all select 'daily-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "update_type"::text) as "summary" from "daily_updates";`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `create or replace view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads" union all select 'exchange-rate-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "update_date"::text, "base_currency"::text) as "summary" from "exchange_rate_updates" union all select 'exchange-rate-backfill'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "from_date"::text, "to_date"::text) as "summary" from "exchange_rate_backfills" union all select 'etf-update'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "etf_id"::text, "update_type"::text, "start_date"::text, "end_date"::text) as "summary" from "etf_updates";`,
    );
    this.addSql(`drop table if exists "daily_updates" cascade;`);
  }
}
