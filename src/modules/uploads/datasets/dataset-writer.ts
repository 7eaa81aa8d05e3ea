/**
 * Writes validated rows of a dataset with set-based SQL: COPY into a per-connection staging
 * table, then one `INSERT … ON CONFLICT` on the natural key that counts what it inserted and
 * updated (rows whose values did not change are left alone and counted as unchanged).
 */
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ColumnType, DatasetDefinition, TENANT_KEY_COLUMN } from './dataset';

export interface BatchWriteResult {
  inserted: number;
  updated: number;
}

/** Double-quoted SQL identifier. Dataset names come from code, but quoting costs nothing. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlType(type: ColumnType): string {
  switch (type.kind) {
    case 'text':
      return 'text';
    case 'date':
      return 'date';
    case 'decimal':
      // Unconstrained: values were checked to fit numeric(precision, scale), and staging them
      // at that scale would pad them ('1.0664' → '1.0664000000') into an unconstrained column.
      return 'numeric';
    case 'currency':
      return 'char(3)';
  }
}

// COPY text format: backslash, tab and line breaks are escaped; \N is NULL.
const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** One row as a line of COPY text input, in the dataset's column order. */
export function copyLine(
  values: Readonly<Record<string, string | null>>,
  columns: readonly string[],
) {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const value = values[columns[i]];
    if (i) line += '\t';
    line +=
      value === null || value === undefined
        ? '\\N'
        : value.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]);
  }
  return line + '\n';
}

export class DatasetWriter {
  /** Dataset columns in file-independent order: the order of COPY lines. */
  readonly columns: readonly string[];
  /** Natural-key columns that come from the file (the tenant comes from the job). */
  readonly keyColumns: readonly string[];
  private readonly stage: string;
  private readonly createStage: string;
  private readonly upsert: string;

  constructor(
    readonly dataset: DatasetDefinition,
    private readonly tenantId: string | null,
  ) {
    this.columns = dataset.columns.map((c) => c.name);
    this.keyColumns = dataset.naturalKey.filter((k) => k !== TENANT_KEY_COLUMN);
    const tenantKeyed = dataset.owner === 'tenant';
    if (tenantKeyed && !tenantId) throw new Error(`dataset ${dataset.name} needs a tenant`);
    this.stage = ident(`stage_${dataset.name.replace(/[^A-Za-z0-9_]/g, '_')}`);
    // A temporary table lives with its connection: no catalog churn per batch, no clash
    // between connections, and it is never WAL-logged.
    this.createStage = `CREATE TEMP TABLE IF NOT EXISTS ${this.stage} (${dataset.columns
      .map((c) => `${ident(c.name)} ${sqlType(c.type)}`)
      .join(', ')})`;
    const target = [...(tenantKeyed ? [TENANT_KEY_COLUMN] : []), ...this.columns].map(ident);
    const source = [...(tenantKeyed ? ['$1::text'] : []), ...this.columns.map(ident)];
    const mutable = this.columns.filter((c) => !this.keyColumns.includes(c));
    const touch = dataset.updatedAtColumn ? [`${ident(dataset.updatedAtColumn)} = now()`] : [];
    // Rows go in file order (ids follow the file). Two uploads writing the same keys in
    // opposite orders at once can deadlock: PostgreSQL aborts one batch, whose attempt
    // retries from its checkpoint.
    this.upsert = `WITH written AS (
      INSERT INTO ${ident(dataset.table)} AS t (${target.join(', ')})
      SELECT ${source.join(', ')} FROM ${this.stage}
      ON CONFLICT (${dataset.naturalKey.map(ident).join(', ')}) DO UPDATE
        SET ${[...mutable.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`), ...touch].join(', ')}
        WHERE (${mutable.map((c) => `t.${ident(c)}`).join(', ')})
          IS DISTINCT FROM (${mutable.map((c) => `EXCLUDED.${ident(c)}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
           count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM written`;
  }

  /** Creates (once per connection) and empties the staging table. */
  async prepare(client: PoolClient): Promise<void> {
    await client.query(this.createStage);
    await client.query(`TRUNCATE ${this.stage}`);
  }

  /**
   * Upserts one batch given as COPY text (rows with distinct natural keys). Runs inside the
   * caller's transaction, so the batch commits with whatever else the caller writes.
   */
  async write(client: PoolClient, copyText: string): Promise<BatchWriteResult> {
    const names = this.columns.map(ident).join(', ');
    const copy = client.query(copyFrom(`COPY ${this.stage} (${names}) FROM STDIN`));
    await pipeline(Readable.from([copyText]), copy);
    const params = this.dataset.owner === 'tenant' ? [this.tenantId] : [];
    const { rows } = await client.query<BatchWriteResult>(this.upsert, params);
    await client.query(`TRUNCATE ${this.stage}`);
    return rows[0];
  }
}
