/**
 * What the import knows of each legacy table: the columns the seed gives it, how to read
 * it, its mapper, and the target table's columns, natural key and checksum. The checksum of
 * a row is computed twice, the same way: in JS over what the mapper produced, and in SQL over
 * what the target holds after the insert (see legacy-writer.ts).
 */
import { createHash } from 'node:crypto';
import {
  type Candidate,
  type DailyRow,
  type EtfLookup,
  type EtfUpdateRow,
  type ExchangeRateRow,
  type ImportedRow,
  isoMicros,
  type LegacyTable,
  type MapContext,
  type Mapped,
  mapDailyUpdate,
  mapEtfUpdate,
  mapTaskStatus,
  type LegacyDailyUpdate,
  type LegacyEtfUpdate,
  type LegacyTaskStatus,
} from './legacy-mappers';

/** One target column: its name, its SQL array type for unnest, and the row's value. */
export interface TargetColumn<R> {
  name: string;
  /** The element type of the bound array (`text`, `timestamptz`, …). */
  type: string;
  /** How the unnested value becomes the column (for array columns bound as text literals). */
  cast?: string;
  value: (row: R) => unknown;
}

export interface TableSpec<R extends ImportedRow> {
  legacy: LegacyTable;
  target: string;
  /** Columns the legacy table must have (the seed's DDL). */
  sourceColumns: readonly string[];
  /** SELECT list (every value as the mapper reads it) and the order to read in. */
  select: string;
  orderBy: string | null;
  /**
   * Rows are grouped by this while read in `orderBy`: a group's winners per key are settled
   * when the next group starts (null: one group, settled at the end).
   */
  groupOf: ((raw: Record<string, unknown>) => string) | null;
  map: (raw: Record<string, unknown>, ctx: MapContext) => Mapped<R>;
  /** Which legacy row of a key is imported (the others are skipped as duplicates of it). */
  duplicateRule: string;
  /** The target's natural key (one row per key), or null when it keeps several. */
  keyColumns: readonly { name: string; type: string; value: (row: R) => string }[] | null;
  columns: readonly TargetColumn<R>[];
  /** SQL and JS text of a row for the checksum; the two must agree character for character. */
  checksumSql: string;
  checksumText: (row: R) => string;
}

/** A text[] value as a PostgreSQL array literal (bound as text, cast per row). */
export function arrayLiteral(values: readonly string[] | null): string | null {
  if (values === null) return null;
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** md5 of the text, first 64 bits as a signed integer (what the SQL side sums). */
export function rowHash(text: string): bigint {
  return BigInt.asIntN(
    64,
    BigInt(`0x${createHash('md5').update(text).digest('hex').slice(0, 16)}`),
  );
}

/** The SQL twin of rowHash over an expression. */
export const sqlRowHash = (expr: string) => `('x' || substr(md5(${expr}), 1, 16))::bit(64)::bigint`;

const micros = (iso: string | null) => (iso === null ? '' : isoMicros(iso).toString());
const sqlMicros = (col: string) =>
  `coalesce(((extract(epoch from ${col}) * 1000000)::bigint)::text, '')`;

/** The base part of every checksum: origin, status, attempts, error, times. */
const baseChecksumSql = `concat_ws('|', legacy_ref, status, attempts::text, coalesce(error_message, ''), ${sqlMicros('created_at')}, ${sqlMicros('completed_at')}`;
const baseChecksumText = (r: ImportedRow) =>
  [
    r.legacyRef,
    r.status,
    String(r.attempts),
    r.errorMessage ?? '',
    micros(r.createdAt),
    micros(r.completedAt),
  ].join('|');

function baseColumns<R extends ImportedRow>(): TargetColumn<R>[] {
  return [
    { name: 'status', type: 'text', value: (r) => r.status },
    { name: 'created_at', type: 'timestamptz', value: (r) => r.createdAt },
    { name: 'updated_at', type: 'timestamptz', value: (r) => r.updatedAt },
    { name: 'completed_at', type: 'timestamptz', value: (r) => r.completedAt },
    { name: 'attempts', type: 'int', value: (r) => r.attempts },
    { name: 'max_attempts', type: 'int', value: (r) => r.maxAttempts },
    { name: 'progress', type: 'smallint', value: (r) => r.progress },
    { name: 'error_message', type: 'text', value: (r) => r.errorMessage },
    { name: 'result', type: 'jsonb', value: (r) => JSON.stringify(r.result) },
    { name: 'notes', type: 'text', value: (r) => r.notes },
    { name: 'legacy_ref', type: 'text', value: (r) => r.legacyRef },
  ];
}

export const TASK_STATUS: TableSpec<ExchangeRateRow> = {
  legacy: 'task_status',
  target: 'exchange_rate_updates',
  sourceColumns: [
    'id',
    'task_type',
    'status',
    'resource_id',
    'error',
    'task_metadata',
    'created_at',
    'updated_at',
  ],
  select:
    'id, task_type, status, resource_id, error, task_metadata::text AS task_metadata, created_at::text AS created_at, updated_at::text AS updated_at',
  orderBy: null,
  groupOf: null,
  map: (raw, ctx) => mapTaskStatus(raw as unknown as LegacyTaskStatus, ctx),
  duplicateRule:
    'best outcome: COMPLETED, FAILED, CANCELLED; then latest updated_at; then highest id',
  keyColumns: [
    { name: 'update_date', type: 'date', value: (r) => r.updateDate },
    { name: 'base_currency', type: 'text', value: (r) => r.baseCurrency },
  ],
  columns: [
    ...baseColumns<ExchangeRateRow>(),
    { name: 'update_date', type: 'date', value: (r) => r.updateDate },
    { name: 'base_currency', type: 'text', value: (r) => r.baseCurrency },
    {
      name: 'target_currencies',
      type: 'text',
      cast: 'text[]',
      value: (r) => arrayLiteral(r.targetCurrencies),
    },
  ],
  checksumSql: `${baseChecksumSql}, update_date::text, base_currency, coalesce(array_to_string(target_currencies, ','), ''))`,
  checksumText: (r) =>
    [baseChecksumText(r), r.updateDate, r.baseCurrency, (r.targetCurrencies ?? []).join(',')].join(
      '|',
    ),
};

export function etfUpdatesSpec(etfs: EtfLookup): TableSpec<EtfUpdateRow> {
  return {
    legacy: 'etf_updates',
    target: 'etf_updates',
    sourceColumns: [
      'id',
      'etf_id',
      'update_type',
      'start_date',
      'end_date',
      'status',
      'created_at',
      'completed_at',
      'error',
      'missing_dates',
      'retry_count',
      'notes',
    ],
    select:
      'id, etf_id, update_type, start_date::text AS start_date, end_date::text AS end_date, status, created_at::text AS created_at, completed_at::text AS completed_at, error, missing_dates::text[] AS missing_dates, retry_count, notes',
    orderBy: null,
    groupOf: null,
    map: (raw, ctx) => mapEtfUpdate(raw as unknown as LegacyEtfUpdate, ctx, etfs),
    duplicateRule: 'none: every row is kept',
    keyColumns: null,
    columns: [
      ...baseColumns<EtfUpdateRow>(),
      { name: 'etf_id', type: 'text', value: (r) => r.etfId },
      { name: 'update_type', type: 'text', value: (r) => r.updateType },
      { name: 'start_date', type: 'date', value: (r) => r.startDate },
      { name: 'end_date', type: 'date', value: (r) => r.endDate },
      {
        name: 'missing_dates',
        type: 'text',
        cast: 'date[]',
        value: (r) => arrayLiteral(r.missingDates),
      },
    ],
    checksumSql: `${baseChecksumSql}, etf_id, update_type, start_date::text, end_date::text, array_to_string(missing_dates, ','))`,
    checksumText: (r) =>
      [
        baseChecksumText(r),
        r.etfId,
        r.updateType,
        r.startDate,
        r.endDate,
        r.missingDates.join(','),
      ].join('|'),
  };
}

export const DAILY_UPDATE_TRACKING: TableSpec<DailyRow> = {
  legacy: 'daily_update_tracking',
  target: 'daily_updates',
  sourceColumns: ['date', 'update_type', 'attempted', 'data_found', 'notes'],
  select: 'date::text AS date, update_type, attempted, data_found, notes',
  // The primary key's order: the rows of one date come together, so one date's duplicates
  // (two legacy types mapping to one new type) are settled before the next date is read.
  orderBy: 'date, update_type',
  groupOf: (raw) => String(raw.date),
  map: (raw, ctx) => mapDailyUpdate(raw as unknown as LegacyDailyUpdate, ctx),
  duplicateRule:
    'best outcome: COMPLETED, FAILED, CANCELLED; then update_type already the new name; then first in update_type order',
  keyColumns: [
    { name: 'update_date', type: 'date', value: (r) => r.updateDate },
    { name: 'update_type', type: 'text', value: (r) => r.updateType },
  ],
  columns: [
    ...baseColumns<DailyRow>(),
    { name: 'update_date', type: 'date', value: (r) => r.updateDate },
    { name: 'update_type', type: 'text', value: (r) => r.updateType },
    { name: 'state', type: 'text', value: (r) => r.state },
    { name: 'data_found', type: 'boolean', value: (r) => r.dataFound },
  ],
  checksumSql: `${baseChecksumSql}, update_date::text, update_type, state, coalesce(data_found::text, ''))`,
  checksumText: (r) =>
    [baseChecksumText(r), r.updateDate, r.updateType, r.state, r.dataFound ?? ''].join('|'),
};

export type AnySpec = TableSpec<ExchangeRateRow> | TableSpec<EtfUpdateRow> | TableSpec<DailyRow>;
export type AnyCandidate = Candidate<ImportedRow>;
