/**
 * What an uploadable dataset is: its columns and their rules, the key that makes re-uploads
 * idempotent, who may write it, and where it lands. Modules define their datasets with
 * `defineDataset` and validate rows with `createRowValidator`; nothing here touches the
 * database.
 */
import {
  InvalidValue,
  parseCurrency,
  parseDate,
  parseDecimal,
  parseText,
  type ParsedValue,
} from './column-values';

export type ColumnType =
  /** Trimmed text without control characters (tab allowed), at most `maxLength` characters. */
  | { kind: 'text'; maxLength: number }
  /** A calendar date written YYYY-MM-DD. */
  | { kind: 'date' }
  /** An exact decimal that fits PostgreSQL `numeric(precision, scale)` without rounding. */
  | { kind: 'decimal'; precision: number; scale: number }
  /** An ISO 4217 code in use, upper case. */
  | { kind: 'currency' };

export interface DatasetColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** A required column must be in the file's header and non-empty in every row. */
  readonly required: boolean;
  /**
   * A further rule on the value its type accepted: the problem, worded to follow the column's
   * name ("is not an ECB publication day"), or null when the value is fine.
   */
  readonly check?: (value: string) => string | null;
}

/** A column whose values must be keys of another table (see DatasetDefinition.references). */
export interface DatasetReference {
  /** The dataset column holding the value (an empty optional cell is not looked up). */
  readonly column: string;
  /** The referenced table and its key column (compared as the dataset column's SQL type). */
  readonly table: string;
  readonly key: string;
  /** The row error's message, in full ("no ETF with this symbol: create it first (…)"). */
  readonly message: string;
}

/** Tenant data is written by the tenant's users; reference data only by holders of a role. */
export type DatasetOwnership =
  { readonly owner: 'tenant' } | { readonly owner: 'reference'; readonly requiredRole: string };

export type DatasetDefinition<C extends readonly DatasetColumn[] = readonly DatasetColumn[]> = {
  readonly name: string;
  /** The table rows are upserted into. */
  readonly table: string;
  readonly columns: C;
  /** The upsert key; tenant datasets include `tenant_id`, which comes from the job, not the file. */
  readonly naturalKey: readonly string[];
  /** A timestamp column of the table set to now() when an upload changes a row. */
  readonly updatedAtColumn?: string;
  /**
   * Table columns that are not in the file and no longer hold once an upload changes a row
   * (e.g. quality flags judged on the old values): set to NULL with updatedAtColumn's now().
   * A row the upload finds unchanged keeps them; a new row gets the table's default.
   */
  readonly resetOnChange?: readonly string[];
  /**
   * Columns whose values must be keys of another table (a foreign key of `table`): a row
   * whose value is not there is invalid, reported on that column with `message`, instead of
   * failing its batch's write. Each batch's distinct values are looked up in one query before
   * it is written; such datasets are read by the parsing path only (no byte-level COPY).
   */
  readonly references?: readonly DatasetReference[];
  /** One line for the datasets listing. */
  readonly description?: string;
} & DatasetOwnership;

/** The typed values of a valid row: optional columns left empty are null. */
export type DatasetRow<C extends readonly DatasetColumn[]> = {
  [Column in C[number] as Column['name']]: Column['required'] extends true ? string : string | null;
};

/** One rejected cell of a row. */
export interface DatasetFieldError {
  column: string;
  message: string;
  /** The cell as uploaded, cut to `MAX_REPORTED_VALUE_LENGTH` characters. */
  value: string;
}

export type RowValidation<V> = { ok: true; values: V } | { ok: false; errors: DatasetFieldError[] };

export const TENANT_KEY_COLUMN = 'tenant_id';
export const MAX_REPORTED_VALUE_LENGTH = 200;

/**
 * Checks a definition once, at start-up, so that a typo in a module's dataset stops the app
 * instead of failing uploads; `const` keeps column names literal for `DatasetRow`.
 */
export function defineDataset<const C extends readonly DatasetColumn[]>(
  definition: DatasetDefinition<C>,
): DatasetDefinition<C> {
  const names = definition.columns.map((column) => column.name);
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) fail(definition, `column "${duplicate}" is defined twice`);
  if (names.includes(TENANT_KEY_COLUMN)) {
    fail(definition, `"${TENANT_KEY_COLUMN}" comes from the job and cannot be a file column`);
  }
  const tenantKeyed = definition.naturalKey.includes(TENANT_KEY_COLUMN);
  if (tenantKeyed !== (definition.owner === 'tenant')) {
    fail(
      definition,
      `the natural key must include "${TENANT_KEY_COLUMN}" exactly when tenant-owned`,
    );
  }
  for (const key of definition.naturalKey) {
    const column = definition.columns.find((c) => c.name === key);
    if (key !== TENANT_KEY_COLUMN && !column?.required) {
      fail(definition, `natural key column "${key}" must be a required column`);
    }
  }
  for (const reference of definition.references ?? []) {
    if (!names.includes(reference.column)) {
      fail(definition, `reference column "${reference.column}" is not a column`);
    }
  }
  for (const column of definition.resetOnChange ?? []) {
    if (names.includes(column) || definition.naturalKey.includes(column)) {
      fail(definition, `"${column}" comes from the file and cannot be reset on change`);
    }
    if (column === definition.updatedAtColumn) {
      fail(definition, `"${column}" is the updatedAtColumn and cannot be reset on change`);
    }
  }
  return definition;
}

/** Names of the columns a file's header must provide. */
export function requiredColumnNames(dataset: DatasetDefinition): string[] {
  return dataset.columns.filter((column) => column.required).map((column) => column.name);
}

/**
 * Returns a function that checks one raw record (CSV values by column name; absent columns
 * count as empty, unknown ones are ignored) and reports every bad cell, not only the first.
 */
export function createRowValidator<C extends readonly DatasetColumn[]>(
  dataset: DatasetDefinition<C>,
): (record: Readonly<Record<string, string | undefined>>) => RowValidation<DatasetRow<C>> {
  const columns = dataset.columns.map((column) => ({ ...column, parse: valueParser(column.type) }));
  return (record) => {
    const values: Record<string, string | null> = {};
    let errors: DatasetFieldError[] | undefined;
    for (const column of columns) {
      const raw = record[column.name] ?? '';
      const trimmed = raw.trim();
      let parsed: ParsedValue | null;
      if (trimmed === '') parsed = column.required ? new InvalidValue('is required') : null;
      else parsed = column.parse(trimmed);
      if (typeof parsed === 'string' && column.check) {
        const problem = column.check(parsed);
        if (problem !== null) parsed = new InvalidValue(problem);
      }
      if (parsed instanceof InvalidValue) {
        (errors ??= []).push({
          column: column.name,
          message: `${column.name} ${parsed.message}`,
          value: truncateForReport(raw),
        });
      } else {
        values[column.name] = parsed;
      }
    }
    return errors ? { ok: false, errors } : { ok: true, values: values as DatasetRow<C> };
  };
}

/** Cuts a value for an error report at a character (code point) boundary, marking the cut. */
export function truncateForReport(value: string, max = MAX_REPORTED_VALUE_LENGTH): string {
  if (value.length <= max) return value;
  const characters = Array.from(value);
  return characters.length <= max ? value : `${characters.slice(0, max - 1).join('')}…`;
}

function valueParser(type: ColumnType): (value: string) => ParsedValue {
  switch (type.kind) {
    case 'text':
      return (value) => parseText(value, type.maxLength);
    case 'date':
      return parseDate;
    case 'decimal':
      return (value) => parseDecimal(value, type.precision, type.scale);
    case 'currency':
      return parseCurrency;
  }
}

function fail(definition: { name: string }, problem: string): never {
  throw new Error(`dataset "${definition.name}": ${problem}`);
}
