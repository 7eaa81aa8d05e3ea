import type { EntityMetadata } from '@mikro-orm/core';

/**
 * The view over every tracking table: one `UNION ALL` branch per job type, with the base
 * entity's columns, the type's name (`type`) and its summary text (`summary`). Migrations
 * keep it (a new type's migration replaces it with one more branch); reads across types
 * (GET /jobs/{id}, search, stats, a parent's children) are one query on it.
 */
export const TRACKED_JOBS_VIEW = 'tracked_jobs';

/** The base entity's columns (`TrackedJob`), in the order every branch lists them. */
export const TRACKED_JOB_COLUMNS = [
  'id',
  'status',
  'priority',
  'tenant_id',
  'created_by',
  'created_at',
  'updated_at',
  'started_at',
  'completed_at',
  'attempts',
  'max_attempts',
  'lock_token',
  'queue_job_id',
  'progress',
  'progress_message',
  'error_message',
  'error_details',
  'result',
  'cancelled_by',
  'cancel_reason',
  'parent_id',
  'parent_type',
] as const;

/**
 * SQL of a type's summary text: the columns of its `summaryFields` joined by " · ", or
 * `NULL::text` without any (such a type's jobs match `q` by id only).
 */
export function summarySql(meta: EntityMetadata, fields: readonly string[] = []): string {
  if (!fields.length) return 'NULL::text';
  const columns = fields.map((f) => {
    const prop = meta.properties[f as keyof typeof meta.properties];
    if (!prop) throw new Error(`${meta.className} has no property ${f} (summaryFields)`);
    return `"${prop.fieldNames[0]}"::text`;
  });
  return `concat_ws(' · ', ${columns.join(', ')})`;
}

/**
 * One branch of the view, as a type's migration writes it (copy the printed SQL into the
 * migration: migrations never call this code, which may change after them).
 */
export function trackedJobsBranchSql(type: string, table: string, summary: string): string {
  const columns = TRACKED_JOB_COLUMNS.map((c) => `"${c}"`).join(', ');
  return `select '${type.replace(/'/g, "''")}'::text as "type", ${columns}, ${summary} as "summary" from "${table}"`;
}
