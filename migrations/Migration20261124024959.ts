import { Migration } from '@mikro-orm/migrations';

export class Migration20261124024959 extends Migration {
  override name = 'Migration20261124024959';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "job_attempts" ("id" uuid not null, "job_id" uuid not null, "job_type" text not null, "attempt" int not null, "worker_host" text not null, "worker_pid" int not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "outcome" text not null default 'running', "error_class" text null, "error_message" text null, primary key ("id"));`,
    );
    this.addSql(
      `alter table "job_attempts" add constraint "job_attempts_job_id_attempt_unique" unique ("job_id", "attempt");`,
    );
    this.addSql(
      `alter table "job_attempts" add constraint "job_attempts_outcome_check" check ("outcome" in ('running', 'completed', 'retrying', 'failed', 'cancelled', 'handed_back', 'lost'));`,
    );
  }
}
