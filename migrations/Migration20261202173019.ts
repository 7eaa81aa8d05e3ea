import { Migration } from '@mikro-orm/migrations';

/**
 * The `tracked_jobs` view: every tracking table's base columns, its job type and its
 * summary text, for reads across types (GET /jobs/{id}, search, stats, children). Hand
 * written: `migration:create` does not see it (`skipViews` in the ORM config). A new job
 * type's migration replaces it with one more branch (docs/tracking.md "Adding a job type").
 */
export class Migration20261202173019 extends Migration {
  override name = 'Migration20261202173019';

  override up(): void | Promise<void> {
    this.addSql(
      `create view "tracked_jobs" as select 'upload'::text as "type", "id", "status", "priority", "tenant_id", "created_by", "created_at", "updated_at", "started_at", "completed_at", "attempts", "max_attempts", "lock_token", "queue_job_id", "progress", "progress_message", "error_message", "error_details", "result", "cancelled_by", "cancel_reason", "parent_id", "parent_type", concat_ws(' · ', "original_filename"::text, "dataset"::text) as "summary" from "uploads";`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop view if exists "tracked_jobs";`);
  }
}
