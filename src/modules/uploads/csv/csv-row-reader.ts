/**
 * Reads the data rows of an uploaded CSV file, one at a time, in constant memory.
 *
 * Fatal problems (thrown; the file cannot be read any further, or reading it would be
 * meaningless) versus per-row problems (yielded as `{ ok: false }`; the row is reported and
 * reading continues):
 *
 * | problem                                   | code                 | kind    |
 * |-------------------------------------------|----------------------|---------|
 * | nothing but blank lines / a BOM           | EMPTY_FILE           | fatal   |
 * | header but no data rows                   | NO_DATA_ROWS         | fatal   |
 * | required column absent (after mapping)    | MISSING_COLUMN       | fatal   |
 * | two header cells for one column           | DUPLICATE_COLUMN     | fatal   |
 * | invalid UTF-8 in the header               | INVALID_UTF8         | fatal   |
 * | UTF-16/32 byte-order mark                 | UNSUPPORTED_ENCODING | fatal   |
 * | NUL byte anywhere                         | BINARY               | fatal   |
 * | record longer than maxLineBytes           | LINE_TOO_LONG        | fatal   |
 * | more rows than maxRows                    | TOO_MANY_ROWS        | fatal   |
 * | quote never closed                        | UNTERMINATED_QUOTE   | fatal   |
 * | delimiter option unusable                 | INVALID_DELIMITER    | fatal   |
 * | invalid UTF-8 in a data row               | INVALID_UTF8         | per row |
 * | data row with a different number of cells | COLUMN_COUNT         | per row |
 *
 * Why: a file-level problem makes every row suspect (a NUL means binary or UTF-16, a missing
 * column fails every row the same way, and after an unterminated quote the record
 * boundaries can no longer be trusted, so the next "row" may be half of another). A bad
 * cell count or a stray Latin-1 byte, by contrast, is confined to its own record: the
 * delimiters and line breaks around it are still found correctly, so the other rows stand.
 * A fatal error fails the file: once it is thrown no more rows are yielded, and rows read
 * just before it may not have been yielded either.
 *
 * Quotes follow RFC 4180, leniently where real files (and csv-spectrum) need it: a quote that
 * is not the first character of a field is text (`5" pipe`), and text right after a closing
 * quote is kept (`"a"b` reads as `"a"b`).
 */
import { pipeline, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { CsvByteGuard } from './csv-byte-guard';
import { CsvFormatError, describeLocation, type CsvLocation } from './csv-format-error';

export interface CsvRowReaderOptions {
  /** One ASCII character; default ','. */
  delimiter?: string;
  /** Largest record accepted, in bytes, quotes and delimiters included; default 64 KiB. */
  maxLineBytes?: number;
  /** Largest number of data rows accepted; unlimited when absent. */
  maxRows?: number;
  /** CSV header → dataset column name; headers not listed keep their own (trimmed) name. */
  columnMapping?: Readonly<Record<string, string>>;
  /** Dataset column names the header must provide, after mapping. */
  requiredColumns?: readonly string[];
  /**
   * The input is the rest of a file from a record boundary after its header (a part an
   * earlier reader did not take): `header` is the file's header as `readCsvHeader` read it,
   * `line` the file line the input starts on, `rowsBefore` the data rows before it. Rows,
   * lines and errors are numbered as in a read of the whole file; an input without rows is
   * not an error.
   */
  continueAt?: CsvContinuation;
}

export interface CsvContinuation {
  header: CsvHeader;
  line: number;
  rowsBefore: number;
}

/**
 * One data row: its values by (mapped) column name, or the reason it could not be read.
 * `values` has no prototype, so a column named "__proto__" is an ordinary key.
 */
export type CsvRow =
  | { ok: true; row: number; line: number; values: Record<string, string> }
  | { ok: false; row: number; line: number; error: CsvFormatError };

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

/** Columns of the file, in file order; undefined marks a column with an empty header (ignored). */
export interface CsvHeader {
  names: ReadonlyArray<string | undefined>;
}
type Header = CsvHeader;

// csv-parse decodes as Latin-1, so each byte becomes one character: record sizes are then
// byte counts, and the original bytes can be recovered to be decoded strictly as UTF-8.
// (Its default, UTF-8 decoding, replaces invalid bytes with U+FFFD without a word.)
const RAW_ENCODING = 'latin1';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// A cell that is plain ASCII without line breaks (nearly all of them) needs no further work.
const NEEDS_DECODING_OR_HAS_LINE_BREAK = /[\r\n\u0080-\u00ff]/;
const NON_ASCII = /[\u0080-\u00ff]/;
const LINE_BREAKS = /\r\n|\r|\n/g;

/**
 * Yields the data rows of `input` (a stream of bytes); see the table above for what is
 * thrown and what is yielded. The input stream is destroyed when reading stops early.
 */
export async function* readCsvRows(
  input: Readable,
  options: CsvRowReaderOptions = {},
): AsyncGenerator<CsvRow, void, undefined> {
  let delimiter: string;
  try {
    delimiter = checkDelimiter(options.delimiter ?? ',');
  } catch (err) {
    input.destroy(); // nothing else will: the input is piped only below
    throw err;
  }
  const { continueAt } = options;
  const guard = new CsvByteGuard(
    options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    delimiter,
    continueAt && { line: continueAt.line, rowsBefore: continueAt.rowsBefore },
  );
  const parser = parse({
    delimiter,
    encoding: RAW_ENCODING,
    bom: false, // the guard strips it; csv-parse would also switch its decoding to UTF-8
    record_delimiter: ['\r\n', '\n', '\r'], // all three, even mixed in one file
    relax_quotes: true, // see the note on quotes above; CsvByteGuard follows the same rules
    relax_column_count: true, // a wrong cell count is reported per row below
    skip_empty_lines: false, // blank lines are skipped below, so that lines can be counted
  });
  // Errors reach the loop below through the parser, which pipeline destroys with them.
  pipeline(input, guard, parser, () => undefined);

  let header: Header | undefined = continueAt?.header;
  let nextLine = continueAt?.line ?? 1;
  let row = continueAt?.rowsBefore ?? 0;
  let yielded = 0;
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + countLineBreaks(cells);
      if (cells.length === 1 && cells[0] === '') continue; // a blank line
      if (header === undefined) {
        header = readHeader(cells, line, options);
        continue;
      }
      row++;
      if (options.maxRows !== undefined && row > options.maxRows) {
        throw new CsvFormatError(
          'TOO_MANY_ROWS',
          `The file has more than ${options.maxRows} data rows.`,
          { row, line },
        );
      }
      const result = readRow(cells, header, row, line);
      if (result === undefined) continue; // every cell empty: a spreadsheet's filler row
      yielded++;
      yield result;
    }
  } catch (err) {
    throw fromParserError(err);
  }
  if (continueAt) return;
  if (header === undefined) {
    throw new CsvFormatError('EMPTY_FILE', 'The file is empty.');
  }
  if (yielded === 0) {
    throw new CsvFormatError('NO_DATA_ROWS', 'The file has a header but no data rows.', {
      line: nextLine,
    });
  }
}

/**
 * The header of a file from the bytes of its first non-blank record (BOM stripped), as
 * `readCsvRows` reads it; throws what it would throw for that header (not the byte-level
 * problems CsvByteGuard finds: the caller has checked those).
 */
export function readCsvHeader(
  record: Buffer,
  line: number,
  options: CsvRowReaderOptions = {},
): CsvHeader {
  const cells = parseSync(record, {
    delimiter: checkDelimiter(options.delimiter ?? ','),
    encoding: RAW_ENCODING,
    bom: false,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_quotes: true,
    relax_column_count: true,
  }) as string[][];
  if (cells.length !== 1) throw new Error('readCsvHeader: not one record');
  return readHeader(cells[0], line, options);
}

function checkDelimiter(delimiter: string): string {
  // One ASCII character, because the parser compares single bytes, and never a character
  // that already means something in CSV.
  const usable = delimiter === '\t' || (/^[!-~]$/.test(delimiter) && !/["\w]/.test(delimiter));
  if (!usable) {
    throw new CsvFormatError(
      'INVALID_DELIMITER',
      `The delimiter must be one punctuation character or a tab, not ${JSON.stringify(delimiter)}.`,
    );
  }
  return delimiter;
}

function readHeader(cells: string[], line: number, options: CsvRowReaderOptions): Header {
  const mapping = options.columnMapping ?? {};
  const names: Array<string | undefined> = [];
  const seen = new Map<string, string>(); // column name → header cell it came from
  for (const cell of cells) {
    const title = decodeCell(cell)?.trim();
    if (title === undefined) {
      throw new CsvFormatError(
        'INVALID_UTF8',
        `The header (line ${line}) is not valid UTF-8; save the file as UTF-8 and upload it again.`,
        { line },
      );
    }
    const name = Object.hasOwn(mapping, title) ? mapping[title] : title;
    if (name === '') {
      names.push(undefined);
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      const via = earlier === title ? '' : ` (from "${earlier}" and "${title}")`;
      throw new CsvFormatError(
        'DUPLICATE_COLUMN',
        `Column "${name}" appears more than once in the header${via}.`,
        { line, column: name },
      );
    }
    seen.set(name, title);
    names.push(name);
  }
  const missing = (options.requiredColumns ?? []).filter((name) => !seen.has(name));
  if (missing.length > 0) {
    throw new CsvFormatError('MISSING_COLUMN', missingColumnsMessage(missing, cells, options), {
      line,
      column: missing[0],
    });
  }
  return { names };
}

function missingColumnsMessage(
  missing: string[],
  cells: string[],
  options: CsvRowReaderOptions,
): string {
  const mapping = options.columnMapping ?? {};
  const list = missing
    .map((name) => {
      const from = Object.keys(mapping).filter((title) => mapping[title] === name);
      return from.length > 0 ? `"${name}" (mapped from "${from.join('", "')}")` : `"${name}"`;
    })
    .join(', ');
  let message = `The header lacks the required column${missing.length > 1 ? 's' : ''} ${list}.`;
  // A file split on the wrong delimiter has a one-cell header holding the real delimiter.
  const other = cells.length === 1 ? [';', '\t', '|', ','].find((d) => cells[0].includes(d)) : '';
  if (other && other !== (options.delimiter ?? ',')) {
    message += ` The header is a single column containing ${JSON.stringify(other)}: is that the delimiter?`;
  }
  return message;
}

/** The row's values, a per-row error, or undefined when every cell is empty. */
function readRow(cells: string[], header: Header, row: number, line: number): CsvRow | undefined {
  if (cells.every((cell) => cell === '')) return undefined;
  if (cells.length !== header.names.length) {
    const where = { row, line };
    return {
      ok: false,
      row,
      line,
      error: new CsvFormatError(
        'COLUMN_COUNT',
        `${capitalize(describeLocation(where))} has ${cells.length} cells; the header has ${header.names.length}.`,
        where,
      ),
    };
  }
  // No prototype: a column named "__proto__" or "constructor" stays an ordinary key.
  const values = Object.create(null) as Record<string, string>;
  for (let i = 0; i < cells.length; i++) {
    const name = header.names[i];
    if (name === undefined) continue;
    const value = decodeCell(cells[i]);
    if (value === undefined) {
      const where: CsvLocation = { row, line, column: name };
      return {
        ok: false,
        row,
        line,
        error: new CsvFormatError(
          'INVALID_UTF8',
          `Column "${name}" in ${describeLocation(where)} is not valid UTF-8 (is the file Latin-1 or Windows-1252?).`,
          where,
        ),
      };
    }
    values[name] = value;
  }
  return { ok: true, row, line, values };
}

/** A cell as UTF-8 text, or undefined when its bytes are not valid UTF-8. */
function decodeCell(raw: string): string | undefined {
  if (!NON_ASCII.test(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, RAW_ENCODING));
  } catch {
    return undefined;
  }
}

function countLineBreaks(cells: string[]): number {
  let count = 0;
  for (const cell of cells) {
    if (NEEDS_DECODING_OR_HAS_LINE_BREAK.test(cell)) count += cell.match(LINE_BREAKS)?.length ?? 0;
  }
  return count;
}

/** Maps csv-parse's errors to ours; anything else (an I/O error) passes unchanged. */
function fromParserError(err: unknown): unknown {
  // CsvByteGuard reports unclosed quotes before csv-parse reaches the end of the input, and
  // relax_quotes turns off csv-parse's other quote errors; this is a safety net.
  if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new CsvFormatError('UNTERMINATED_QUOTE', 'A quoted field is never closed.');
  }
  return err;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
