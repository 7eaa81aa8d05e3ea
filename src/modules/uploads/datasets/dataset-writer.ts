/**
 * Writes validated rows of a dataset with set-based SQL: COPY into a per-connection staging
 * table, then one `INSERT … ON CONFLICT` on the natural key that counts what it inserted and
 * updated (rows whose values did not change are left alone and counted as unchanged).
 */
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { CsvChunk } from '../csv/csv-chunker';
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

/** The value of a raw (text) staging column as the typed staging table would hold it. */
function castRaw(name: string, type: ColumnType): string {
  switch (type.kind) {
    case 'text':
    case 'currency':
      return ident(name);
    case 'date':
      return `${ident(name)}::date`;
    case 'decimal':
      // As parseDecimal writes it: no trailing zeros after the point ('1.50' → 1.5).
      return `trim_scale(${ident(name)}::numeric)`;
  }
}

export class DatasetWriter {
  /** Dataset columns in file-independent order: the order of COPY lines. */
  readonly columns: readonly string[];
  /** Natural-key columns that come from the file (the tenant comes from the job). */
  readonly keyColumns: readonly string[];
  private readonly stage: string;
  private readonly rawStage: string;
  private readonly createStages: string[];
  private readonly upsert: string;
  private readonly rawUpsert: string;
  private readonly rawInsert: string;

  constructor(
    readonly dataset: DatasetDefinition,
    private readonly tenantId: string | null,
  ) {
    this.columns = dataset.columns.map((c) => c.name);
    this.keyColumns = dataset.naturalKey.filter((k) => k !== TENANT_KEY_COLUMN);
    const tenantKeyed = dataset.owner === 'tenant';
    if (tenantKeyed && !tenantId) throw new Error(`dataset ${dataset.name} needs a tenant`);
    const safeName = dataset.name.replace(/[^A-Za-z0-9_]/g, '_');
    this.stage = ident(`stage_${safeName}`);
    this.rawStage = ident(`stage_raw_${safeName}`);
    // A temporary table lives with its connection: no catalog churn per batch, no clash
    // between connections, and it is never WAL-logged. The raw one holds cells as text,
    // as PostgreSQL parsed them from the CSV (the fast path).
    this.createStages = [
      `CREATE TEMP TABLE IF NOT EXISTS ${this.stage} (${dataset.columns
        .map((c) => `${ident(c.name)} ${sqlType(c.type)}`)
        .join(', ')})`,
      `CREATE TEMP TABLE IF NOT EXISTS ${this.rawStage} (${dataset.columns
        .map((c) => `${ident(c.name)} text`)
        .join(', ')})`,
    ];
    const target = [...(tenantKeyed ? [TENANT_KEY_COLUMN] : []), ...this.columns].map(ident);
    const tenant = tenantKeyed ? ['$1::text'] : [];
    const source = [...tenant, ...this.columns.map(ident)];
    const rawSource = [...tenant, ...dataset.columns.map((c) => castRaw(c.name, c.type))];
    const mutable = this.columns.filter((c) => !this.keyColumns.includes(c));
    // A changed row: its updatedAtColumn says when, and what was judged on its old values
    // (resetOnChange) is dropped. An unchanged row (the WHERE below) keeps both.
    const touch = [
      ...(dataset.updatedAtColumn ? [`${ident(dataset.updatedAtColumn)} = now()`] : []),
      ...(dataset.resetOnChange ?? []).map((c) => `${ident(c)} = NULL`),
    ];
    // Rows go in file order (ids follow the file). Two uploads writing the same keys in
    // opposite orders at once can deadlock: PostgreSQL aborts one batch, whose attempt
    // retries from its checkpoint.
    const upsert = (select: string[], from: string) => `WITH written AS (
      INSERT INTO ${ident(dataset.table)} AS t (${target.join(', ')})
      SELECT ${select.join(', ')} FROM ${from}
      ON CONFLICT (${dataset.naturalKey.map(ident).join(', ')}) DO UPDATE
        SET ${[...mutable.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`), ...touch].join(', ')}
        WHERE (${mutable.map((c) => `t.${ident(c)}`).join(', ')})
          IS DISTINCT FROM (${mutable.map((c) => `EXCLUDED.${ident(c)}`).join(', ')})
      RETURNING (xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted)::int AS inserted,
           count(*) FILTER (WHERE NOT inserted)::int AS updated
    FROM written`;
    this.upsert = upsert(source, this.stage);
    this.rawUpsert = upsert(rawSource, this.rawStage);
    // New keys only: a plain insert (no conflict arbitration), refused as a whole with a
    // unique violation if any key is already there.
    this.rawInsert = `WITH written AS (
      INSERT INTO ${ident(dataset.table)} (${target.join(', ')})
      SELECT ${rawSource.join(', ')} FROM ${this.rawStage}
      RETURNING 1
    )
    SELECT count(*)::int AS inserted, 0 AS updated FROM written`;
    // One query for every reference: the positions (1-based) of the values not found, each
    // value cast to its dataset column's type (as the write would store it) to use the
    // referenced key's index.
    const references = dataset.references ?? [];
    this.referenceCheck = references.length
      ? references
          .map((ref, i) => {
            const column = dataset.columns.find((c) => c.name === ref.column)!;
            return `SELECT ${i}::int AS ref, u.i::int AS i
              FROM unnest($${i + 1}::text[]) WITH ORDINALITY AS u(v, i)
              WHERE NOT EXISTS (SELECT 1 FROM ${ident(ref.table)} r
                                WHERE r.${ident(ref.key)} = u.v::${sqlType(column.type)})`;
          })
          .join('\nUNION ALL\n')
      : undefined;
  }

  private readonly referenceCheck: string | undefined;

  /**
   * The dataset's references (DatasetDefinition.references), checked: given the distinct
   * values of each reference's column (in declaration order), returns those with no row in
   * the referenced table, per reference. Read-only, one round trip.
   */
  async unknownReferences(
    client: PoolClient,
    values: readonly (readonly string[])[],
  ): Promise<Set<string>[]> {
    const unknown = values.map(() => new Set<string>());
    if (!this.referenceCheck || values.every((list) => list.length === 0)) return unknown;
    const { rows } = await client.query<{ ref: number; i: number }>(this.referenceCheck, [
      ...values,
    ]);
    for (const { ref, i } of rows) unknown[ref].add(values[ref][i - 1]);
    return unknown;
  }

  /** Creates (once per connection) and empties the staging tables. */
  async prepare(client: PoolClient): Promise<void> {
    for (const sql of this.createStages) await client.query(sql);
    await client.query(`TRUNCATE ${this.stage}, ${this.rawStage}`);
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
      [ident(this.dataset.table)],
    );
    const types = new Map(rows.map((r) => [r.name, r.type]));
    this.directCopy = this.dataset.columns.every(
      (c) => c.type.kind !== 'decimal' || /^numeric\(\d+,\d+\)$/.test(types.get(c.name) ?? ''),
    );
  }

  /**
   * The fast path's write of a chunk the chunker vouched for (every cell valid as it is):
   * PostgreSQL parses the CSV into the raw staging table, then one statement writes it,
   * casting as the typed staging would: a plain insert when `newKeys` (refused as a whole,
   * with a unique violation, if a key is already there or twice in the chunk), else the
   * upsert (refused if a key is twice in the chunk). Runs inside the caller's transaction;
   * the caller rolls back what a refusal leaves.
   */
  async copyChunk(
    client: PoolClient,
    chunk: CsvChunk,
    fileColumns: readonly string[],
    delimiter: string,
  ): Promise<void> {
    await this.copyCsv(client, this.rawStage, '', chunk, fileColumns, delimiter);
  }

  /**
   * Whether a chunk can be COPYed straight into the table (`copyDirect`): every decimal
   * column of the table has a fixed scale (an unconstrained `numeric` would keep `1.50`
   * where parseDecimal writes `1.5`). Known after `prepare`.
   */
  directCopy = false;

  /**
   * New keys, the fastest way: the chunk COPYed straight into the table, the tenant as
   * each row's first field; every dataset column must be in `fileColumns` (a column left
   * out would get the table's default, not NULL). Refused as a whole, with a unique
   * violation, if any key is already there or twice in the chunk. Returns the rows written.
   */
  async copyDirect(
    client: PoolClient,
    chunk: CsvChunk,
    fileColumns: readonly string[],
    delimiter: string,
  ): Promise<number> {
    const tenant = this.dataset.owner === 'tenant';
    const prefix = tenant ? `"${this.tenantId!.replace(/"/g, '""')}"${delimiter}` : '';
    const columns = [...(tenant ? [TENANT_KEY_COLUMN] : []), ...fileColumns];
    return this.copyCsv(client, ident(this.dataset.table), prefix, chunk, columns, delimiter);
  }

  private async copyCsv(
    client: PoolClient,
    table: string,
    prefixText: string,
    chunk: CsvChunk,
    columns: readonly string[],
    delimiter: string,
  ): Promise<number> {
    const { bytes, starts, ends } = chunk;
    const prefix = Buffer.from(prefixText);
    // Each row's content with a plain line end: blank lines and skipped rows left out, and
    // one kind of line end, as COPY wants.
    let size = 0;
    for (let i = 0; i < starts.length; i++) size += prefix.length + ends[i] - starts[i] + 1;
    // One buffer for every chunk of the import (sent before the next is built).
    if (this.copyBuffer.length < size) this.copyBuffer = Buffer.allocUnsafe(size * 1.25);
    const out = this.copyBuffer;
    let o = 0;
    for (let i = 0; i < starts.length; i++) {
      if (prefix.length) o += prefix.copy(out, o);
      o += bytes.copy(out, o, starts[i], ends[i]);
      out[o++] = 0x0a;
      // Let the event loop turn (the API may share it) every few thousand rows.
      if (i % 8192 === 8191) await new Promise((resolve) => setImmediate(resolve));
    }
    const names = columns.map(ident).join(', ');
    const sqlDelimiter = delimiter === '\t' ? "E'\\t'" : `'${delimiter.replace(/'/g, "''")}'`;
    // FORCE_NULL: a quoted empty cell ("") is NULL like an unquoted one, as the JavaScript
    // reader reads both (spreadsheets quote every cell).
    const copy = client.query(
      copyFrom(
        `COPY ${table} (${names}) FROM STDIN (FORMAT csv, DELIMITER ${sqlDelimiter}, FORCE_NULL (${names}))`,
      ),
    );
    await pipeline(Readable.from([out.subarray(0, o)]), copy);
    return copy.rowCount;
  }

  private copyBuffer = Buffer.alloc(0);

  /** Writes what copyChunk staged (see there); then empties the raw staging table. */
  async writeStaged(client: PoolClient, newKeys: boolean): Promise<BatchWriteResult> {
    const params = this.dataset.owner === 'tenant' ? [this.tenantId] : [];
    const { rows } = await client.query<BatchWriteResult>(
      newKeys ? this.rawInsert : this.rawUpsert,
      params,
    );
    return rows[0];
  }

  async clearRaw(client: PoolClient): Promise<void> {
    await client.query(`TRUNCATE ${this.rawStage}`);
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
