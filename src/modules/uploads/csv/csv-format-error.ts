/**
 * What can be wrong with an uploaded CSV file.
 *
 * Whether a problem is fatal or concerns one row is decided by how the reader delivers it,
 * not by the code: `readCsvRows` throws fatal errors and yields per-row ones (see the table
 * at the top of csv-row-reader.ts). INVALID_UTF8, for instance, is per-row in a data row but
 * fatal in the header, because without readable column names no row can be read.
 */
export type CsvFormatErrorCode =
  /** Nothing but an optional BOM and blank lines. */
  | 'EMPTY_FILE'
  /** A header but no data rows. */
  | 'NO_DATA_ROWS'
  /** A required column is absent from the header (after applying the column mapping). */
  | 'MISSING_COLUMN'
  /** Two header cells name the same column (after applying the column mapping). */
  | 'DUPLICATE_COLUMN'
  /** A record is longer than the configured limit. */
  | 'LINE_TOO_LONG'
  /** More data rows than the configured limit. */
  | 'TOO_MANY_ROWS'
  /** Bytes that are not valid UTF-8. */
  | 'INVALID_UTF8'
  /** A byte-order mark of an encoding other than UTF-8 (UTF-16, UTF-32). */
  | 'UNSUPPORTED_ENCODING'
  /** A NUL byte: a binary file, or UTF-16 text without a BOM. */
  | 'BINARY'
  /** A quoted field still open at the end of the file. */
  | 'UNTERMINATED_QUOTE'
  /** A data row with more or fewer cells than the header. */
  | 'COLUMN_COUNT'
  /** The delimiter option cannot be used. */
  | 'INVALID_DELIMITER';

/** Where in the file a problem is; every field is 1-based. */
export interface CsvLocation {
  /** Data row number: the header is not counted, blank lines are not counted. */
  row?: number;
  /** Line of the file where the record starts (lines inside quoted fields are counted). */
  line?: number;
  /** Column name as written in the header (or after mapping, once known). */
  column?: string;
}

/** A problem with the CSV itself (not with the values of a dataset row). */
export class CsvFormatError extends Error {
  readonly row?: number;
  readonly line?: number;
  readonly column?: string;

  constructor(
    readonly code: CsvFormatErrorCode,
    message: string,
    where: CsvLocation = {},
  ) {
    super(message);
    this.name = 'CsvFormatError';
    this.row = where.row;
    this.line = where.line;
    this.column = where.column;
  }
}

/** "row 3 (line 4)", "line 1" or "" — so messages name the place the same way everywhere. */
export function describeLocation(where: CsvLocation): string {
  if (where.row !== undefined && where.line !== undefined)
    return `row ${where.row} (line ${where.line})`;
  if (where.row !== undefined) return `row ${where.row}`;
  if (where.line !== undefined) return `line ${where.line}`;
  return '';
}
