/**
 * Reader of a daily price CSV as Yahoo Finance, yfinance and most price APIs write it:
 *
 *   Date,Open,High,Low,Close,Adj Close,Volume
 *   2010-12-31,125.53,125.87,125.33,125.75,121.35,91218900
 *
 * Columns in any order, header names in any case, extra columns (Dividends, Stock Splits…)
 * ignored; `Adj Close` is optional. Rows ascending or descending. The day is a `Date` or a
 * `Datetime` column holding `YYYY-MM-DD` or a datetime with a time-zone offset
 * (`2022-01-03 00:00:00-05:00`, `2022-01-03T00:00:00Z`): the bar's date is the local date
 * written, never converted. Numbers stay text (price-bar.ts); a UTF-8 BOM is dropped, blank
 * lines are skipped, CRLF is fine.
 *
 * All or nothing: the whole body is checked (rows outside the requested range included)
 * before any bar is returned, and anything doubtful throws PriceFormatError with the line:
 * not this CSV (HTML, JSON, another header), a missing column, a row with another number of
 * cells, an unreadable date or number, a negative/NaN/Infinity price, a duplicate day, a
 * short last line (truncated). A quoted cell is unwrapped only when it holds no quote or
 * comma (`"Date"`); a comma inside quotes changes the cell count and fails the row.
 */
import { decodeTextChunks } from '../../common/util/text-chunks';
import { isIsoDate, type IsoDate } from '../exchange-rates/target-calendar';
import {
  canonicalCount,
  canonicalDecimal,
  explainBadNumber,
  PRICE_FIELDS,
  type PriceBar,
} from './price-bar';

export type PriceFormatErrorCode =
  | 'empty' // nothing but blank lines
  | 'not_csv' // HTML, JSON or another header
  | 'not_utf8'
  | 'too_large'
  | 'bad_header' // a column named twice
  | 'missing_column'
  | 'bad_row' // another number of cells than the header (or a stray carriage return)
  | 'truncated' // the last line is short, or the bytes end inside a character
  | 'bad_date'
  | 'bad_number' // empty, negative, NaN, Infinity, exponent, a fractional volume…
  | 'duplicate_date';

/** A price file that cannot be used, with the line (1 = header) and cell at fault. */
export class PriceFormatError extends Error {
  constructor(
    readonly code: PriceFormatErrorCode,
    message: string,
    readonly details: { line?: number; column?: string; value?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PriceFormatError';
  }
}

export interface PriceRange {
  from: IsoDate;
  to: IsoDate;
}

export interface PriceCsvResult {
  /** The bars within [from, to], date ascending. */
  bars: PriceBar[];
  /** Data rows in the body (blank lines and the header not counted). */
  rowsRead: number;
  /** Rows read whose date is outside [from, to]. */
  ignoredOutsideRange: number;
}

/** The default size cap: a 30-year daily history is about 1 MB. */
export const PRICE_CSV_MAX_BYTES = 32 * 1024 * 1024;

type Column = 'date' | 'open' | 'high' | 'low' | 'close' | 'adjClose' | 'volume';
/** Each column's name in messages, and the header names (lower case) that mean it. */
const COLUMNS: Record<Column, { label: string; names: string[] }> = {
  date: { label: 'Date', names: ['date', 'datetime'] },
  open: { label: 'Open', names: ['open'] },
  high: { label: 'High', names: ['high'] },
  low: { label: 'Low', names: ['low'] },
  close: { label: 'Close', names: ['close'] },
  adjClose: { label: 'Adj Close', names: ['adj close', 'adj_close', 'adjclose'] },
  volume: { label: 'Volume', names: ['volume'] },
};
const BY_NAME = new Map(
  Object.entries(COLUMNS).flatMap(([c, { names }]) => names.map((n) => [n, c as Column])),
);
const REQUIRED: Column[] = ['date', ...PRICE_FIELDS, 'volume'];
// A date, optionally a time and then a time-zone offset (Z, ±HH:MM or ±HHMM).
const DAY =
  /^(\d{4}-\d{2}-\d{2})(?:[ T](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:0\d|1[0-4]):?[0-5]\d))?$/;
/** What an empty Adj Close or Volume may be written as (read as null). */
const EMPTY = new Set(['', 'null']);

/** Shortened and quoted, for an error message. */
const show = (value: string) =>
  JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

/** The body pushed as text in any chunking; each row is checked as its line completes. */
class PriceCsvReader {
  private width = 0; // cells per row, from the header; 0 before it
  private readonly index = new Map<Column, number>();
  private readonly seen = new Set<IsoDate>();
  private readonly bars: PriceBar[] = [];
  private rest = '';
  private line = 0;
  /** A row with too few cells: bad_row once another row follows, truncated if it is last. */
  private short: PriceFormatError | null = null;
  rowsRead = 0;
  ignored = 0;

  constructor(private readonly range: PriceRange) {}

  push(text: string): void {
    if (this.line === 0 && this.rest === '' && text.startsWith('\uFEFF')) text = text.slice(1);
    const lines = text.split('\n'); // only the new text: a long line costs no re-splitting
    lines[0] = this.rest + lines[0];
    this.rest = lines.pop() as string;
    for (const l of lines) this.row(l);
  }

  end(): PriceCsvResult {
    const last = this.rest;
    if (last !== '') this.row(last);
    if (this.short) {
      const cut = last.trim() === '' ? '' : ' (no line break at the end)';
      throw new PriceFormatError('truncated', `${this.short.message}: cut short${cut}`, {
        line: this.short.details.line,
      });
    }
    if (this.width === 0) throw new PriceFormatError('empty', 'the price CSV is empty');
    const bars = this.bars.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    return { bars, rowsRead: this.rowsRead, ignoredOutsideRange: this.ignored };
  }

  private row(raw: string): void {
    this.line += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (this.short) throw this.short; // a short row that is not the last one
    if (text.includes('\r')) this.fail('bad_row', 'a carriage return inside the line');
    const cells = text.split(',').map((c) => unquote(c.trim()));
    if (this.width === 0) return this.header(cells, text);
    if (cells.length !== this.width) {
      const message = `${cells.length} cells where the header has ${this.width}`;
      if (cells.length > this.width) this.fail('bad_row', message);
      this.short = this.error('bad_row', message);
      return;
    }
    this.rowsRead += 1;
    const cell = (c: Column) => this.value(c, cells[this.index.get(c) ?? -1]);
    const date = cell('date') as IsoDate;
    if (this.seen.has(date)) this.fail('duplicate_date', `the day ${date} appears twice`);
    this.seen.add(date);
    const [open, high, low, close] = PRICE_FIELDS.map((c) => cell(c) as string);
    const bar = {
      date,
      open,
      high,
      low,
      close,
      adjClose: cell('adjClose'),
      volume: cell('volume'),
    };
    if (date < this.range.from || date > this.range.to) this.ignored += 1;
    else this.bars.push(bar);
  }

  private header(cells: string[], text: string): void {
    if (/^\s*[<{[]/.test(text)) {
      const what = /^\s*<(!doctype\s+html|html)\b/i.test(text) ? 'an HTML page' : 'markup or JSON';
      this.fail('not_csv', `not a price CSV but ${what}: the first line is ${show(text)}`);
    }
    const columns = cells.map((c) => BY_NAME.get(c.toLowerCase()));
    if (columns.every((c) => c === undefined)) {
      this.fail('not_csv', `not a price CSV: the first line is ${show(text)}`);
    }
    columns.forEach((column, i) => {
      if (column === undefined) return;
      if (this.index.has(column))
        this.fail('bad_header', `the header has ${COLUMNS[column].label} twice`);
      this.index.set(column, i);
    });
    const missing = REQUIRED.filter((c) => !this.index.has(c)).map((c) => COLUMNS[c].label);
    if (missing.length > 0) {
      this.fail('missing_column', `the header lacks ${missing.join(', ')}: ${show(text)}`);
    }
    this.width = cells.length;
  }

  /** A cell checked and in canonical form; null for an absent or empty optional one. */
  private value(column: Column, value: string | undefined): string | null {
    if (value === undefined) return null; // no Adj Close column
    const bad = (code: PriceFormatErrorCode, why: string): never =>
      this.fail(code, `${COLUMNS[column].label} ${why}: ${show(value)}`, { column, value });
    if (column === 'date') {
      const match = DAY.exec(value);
      if (match && isIsoDate(match[1])) return match[1];
      return bad('bad_date', 'is not YYYY-MM-DD or a datetime with a time-zone offset');
    }
    const optional = column === 'adjClose' || column === 'volume';
    if (optional && EMPTY.has(value.toLowerCase())) return null;
    const canonical = canonicalDecimal(value);
    if (canonical === null) return bad('bad_number', explainBadNumber(value));
    if (column === 'volume' && canonicalCount(value) === null) {
      return bad('bad_number', 'is not a whole number');
    }
    return canonical;
  }

  private error(code: PriceFormatErrorCode, message: string, details = {}): PriceFormatError {
    const line = this.line;
    return new PriceFormatError(code, `line ${line}: ${message}`, { ...details, line });
  }

  private fail(code: PriceFormatErrorCode, message: string, details = {}): never {
    throw this.error(code, message, details);
  }
}

/** `"x"` → `x` when x holds no quote; anything else as it is (a stray quote fails later). */
function unquote(cell: string): string {
  return /^"[^"]*"$/.test(cell) ? cell.slice(1, -1).trim() : cell;
}

/**
 * The bars of a price CSV within [from, to] (date ascending), read whole. Throws
 * PriceFormatError (nothing is returned from a body that does not parse entirely), or the
 * error of `source` itself (e.g. a network failure mid-body) as it is.
 *
 * @param source bytes (UTF-8) or text, e.g. an HTTP response body or a file stream
 */
export async function readPriceCsv(
  source: AsyncIterable<Uint8Array | string>,
  range: PriceRange,
  options: { maxBytes?: number } = {},
): Promise<PriceCsvResult> {
  if (!isIsoDate(range.from) || !isIsoDate(range.to) || range.from > range.to) {
    throw new RangeError(`not a date range: ${range.from}..${range.to}`);
  }
  const reader = new PriceCsvReader(range);
  const text = decodeTextChunks(source, {
    maxBytes: options.maxBytes ?? PRICE_CSV_MAX_BYTES,
    tooLarge: (max) =>
      new PriceFormatError('too_large', `the price CSV is larger than ${max} bytes`),
    notUtf8: (atEnd, cause) =>
      atEnd
        ? new PriceFormatError('truncated', 'the price CSV ends inside a character', {}, { cause })
        : new PriceFormatError('not_utf8', 'the price CSV is not UTF-8 text', {}, { cause }),
  });
  for await (const chunk of text) reader.push(chunk);
  return reader.end();
}
