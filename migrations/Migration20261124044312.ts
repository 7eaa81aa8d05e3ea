import { Migration } from '@mikro-orm/migrations';

export class Migration20261124044312 extends Migration {
  override name = 'Migration20261124044312';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "transactions" ("id" bigserial primary key, "tenant_id" text not null, "external_id" text not null, "account" text not null, "booked_at" date not null, "amount" numeric(18,4) not null, "currency" char(3) not null, "description" text null, "category" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`,
    );
    this.addSql(
      `alter table "transactions" add constraint "transactions_tenant_id_external_id_unique" unique ("tenant_id", "external_id");`,
    );

    this.addSql(
      `create table "uploads" ("id" uuid not null, "status" text not null default 'PENDING', "priority" text not null default 'NORMAL', "tenant_id" text null, "created_by" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "started_at" timestamptz null, "completed_at" timestamptz null, "attempts" int not null default 0, "max_attempts" int not null default 3, "lock_token" text null, "queue_job_id" text null, "progress" smallint not null default 0, "progress_message" text null, "error_message" text null, "error_details" jsonb null, "result" jsonb null, "cancelled_by" text null, "cancel_reason" text null, "parent_id" uuid null, "parent_type" text null, "dataset" text not null, "mode" text not null, "original_filename" text not null, "stored_path" text not null, "size_bytes" bigint not null, "sha256" text not null, "delimiter" text not null default ',', "column_mapping" jsonb null, "counts" jsonb not null, "checkpoint_row" int not null default 0, "stored_errors" int not null default 0, primary key ("id"));`,
    );
    this.addSql(`create index "uploads_parent_id_index" on "uploads" ("parent_id");`);
    this.addSql(
      `create index "uploads_tenant_id_status_index" on "uploads" ("tenant_id", "status");`,
    );
    this.addSql(`create index "uploads_queue_job_id_index" on "uploads" ("queue_job_id");`);
    this.addSql(
      `create index "uploads_created_at_completed_at_index" on "uploads" ("created_at", "completed_at");`,
    );
    this.addSql(`create index "uploads_status_index" on "uploads" ("status");`);

    this.addSql(
      `create table "upload_row_errors" ("id" bigserial primary key, "upload_id" uuid not null, "row" int not null, "line" int not null, "column" text null, "message" text not null, "value" text null);`,
    );
    this.addSql(
      `create index "upload_row_errors_upload_id_row_index" on "upload_row_errors" ("upload_id", "row");`,
    );

    this.addSql(
      `alter table "uploads" add constraint "uploads_status_check" check ("status" in ('PENDING', 'QUEUED', 'PROCESSING', 'RETRYING', 'COMPLETED', 'FAILED', 'CANCELLED'));`,
    );
    this.addSql(
      `alter table "uploads" add constraint "uploads_priority_check" check ("priority" in ('LOW', 'NORMAL', 'HIGH', 'URGENT'));`,
    );
    this.addSql(
      `alter table "uploads" add constraint "uploads_mode_check" check ("mode" in ('strict', 'partial'));`,
    );

    this.addSql(
      `alter table "upload_row_errors" add constraint "upload_row_errors_upload_id_foreign" foreign key ("upload_id") references "uploads" ("id") on delete cascade;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "upload_row_errors" drop constraint "upload_row_errors_upload_id_foreign";`,
    );

    this.addSql(`drop table if exists "transactions" cascade;`);
    this.addSql(`drop table if exists "uploads" cascade;`);
    this.addSql(`drop table if exists "upload_row_errors" cascade;`);
  }
}
