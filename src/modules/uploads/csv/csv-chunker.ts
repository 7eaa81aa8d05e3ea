/**
 * The fast path's reader: splits an uploaded CSV file into chunks of whole records, straight
 * from its bytes, and decides for each chunk whether every one of its rows is **certainly**
 * valid for the dataset and certainly reads the same in PostgreSQL's `COPY … (FORMAT csv)`
 * as in `readCsvRows` + the dataset's validator. Such a chunk (`fast`) can be handed to
 * PostgreSQL as it is; any other (`slow`) is read by `readCsvRows` from its own bytes, with
 * rows, lines and errors numbered as in a read of the whole file (`continueAt`). No string
 * is made per cell: the checks run on the bytes.
 *
 * The checks are conservative: a row they do not accept may still be valid (a cell with
 * spaces to trim, an amount written `1.50000`); the slow
 * path then decides, exactly as before. Where record boundaries themselves could be read
 * differently (a quote that does not open a field, text after a closing quote, a NUL byte,
 * an overlong record, more rows than allowed, a quote never closed), the rest of the file
 * from the current chunk on is handed to `readCsvRows` (`tail`), which reports the problem
 * as it always has. A file whose start the chunker cannot vouch for (a byte-order mark of
 * another encoding, a header it cannot read cleanly, columns the dataset does not have)
 * is left entirely to `readCsvRows` (`whole-file`).
 */
import { Readable } from 'node:stream';
import type { DatasetColumn } from '../datasets/dataset';
import { ISO_4217_CODES } from '../datasets/iso-4217';
import { CsvFormatError } from './csv-format-error';
import { readCsvHeader, type CsvHeader, type CsvRowReaderOptions } from './csv-row-reader';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const TAB = 0x09;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const FOREIGN_BOM_STARTS = [0xff, 0xfe, 0x00]; // first bytes of UTF-16/32 marks, or binary

/** Where the chunker reads the file: into its own buffer, so that reading allocates nothing. */
export interface BlockSource {
  /** Reads up to `length` bytes into `target` at `offset`; 0 at the end. */
  read(target: Buffer, offset: number, length: number): Promise<number>;
}

/** A source over bytes in memory (tests). */
export function bufferSource(bytes: Buffer, blockSize = bytes.length): BlockSource {
  let at = 0;
  return {
    read: async (target, offset, length) => {
      const n = bytes.copy(target, offset, at, at + Math.min(length, blockSize));
      at += n;
      return n;
    },
  };
}

const BLOCK_BYTES = 256 * 1024;
/** A chunk ends at batchRows rows or at this size (maxChunkBytes), whichever comes first. */
const MAX_CHUNK_BYTES = 16 * 1024 * 1024;

export interface ChunkerOptions extends CsvRowReaderOptions {
  /** Data rows per chunk (rows skipped for being all empty do not count). */
  batchRows: number;
  /** Bytes after which a chunk ends however few rows it has (16 MiB). */
  maxChunkBytes?: number;
  /** Rows up to this one are skipped (a resumed import). */
  resumeAfter: number;
  /** Called with every block read from the input, in order (the SHA-256); not kept. */
  onBlock: (block: Buffer) => void;
}

/** Whole records of the file; `rowsBefore` and `line` place it for `readCsvRows`. */
export interface CsvChunk {
  kind: 'fast' | 'slow';
  /** The file's header, as readCsvRows reads it. */
  header: CsvHeader;
  /** The chunk's bytes, blank lines and line ends included. */
  bytes: Buffer;
  /**
   * Where each data row of a fast chunk starts and where its content ends (no line end).
   * Views of storage the chunker reuses, valid as long as `bytes` is.
   */
  starts: Int32Array;
  ends: Int32Array;
  /** Data rows to import (rows of empty cells are skipped, as readCsvRows does). */
  rows: number;
  /** The last of those rows (0 if none). */
  lastRow: number;
  rowsBefore: number;
  line: number;
}

export type CsvPiece =
  | CsvChunk
  | { kind: 'tail'; header: CsvHeader; input: Readable; rowsBefore: number; line: number }
  | { kind: 'whole-file' };

/** How the fast path checks one file column (a dataset column from the header). */
type CellRule =
  | { kind: 'text'; required: boolean; maxLength: number }
  | { kind: 'date'; required: boolean }
  | { kind: 'decimal'; required: boolean; maxInteger: number; scale: number }
  | { kind: 'currency'; required: boolean };

const CURRENCY_CODES = new Set(
  [...ISO_4217_CODES].map(
    (c) => (c.charCodeAt(0) << 16) | (c.charCodeAt(1) << 8) | c.charCodeAt(2),
  ),
);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function ruleOf(column: DatasetColumn): CellRule {
  const { type, required } = column;
  switch (type.kind) {
    case 'text':
      return { kind: 'text', required, maxLength: type.maxLength };
    case 'date':
      return { kind: 'date', required };
    case 'decimal':
      return {
        kind: 'decimal',
        required,
        maxInteger: type.precision - type.scale,
        scale: type.scale,
      };
    case 'currency':
      return { kind: 'currency', required };
  }
}

/**
 * The rules for the file's columns, or undefined when the fast path cannot take this file:
 * a header cell that names no dataset column (read and ignored by the slow path), a column
 * with a further check (a JavaScript function), or a required column missing.
 */
export function cellRules(
  header: CsvHeader,
  columns: readonly DatasetColumn[],
): CellRule[] | undefined {
  const rules: CellRule[] = [];
  for (const name of header.names) {
    const column = columns.find((c) => c.name === name);
    if (!column || column.check) return undefined;
    rules.push(ruleOf(column));
  }
  if (columns.some((c) => c.required && !header.names.includes(c.name))) return undefined;
  return rules;
}

/** Is the code point starting at `i` one that String.prototype.trim removes (non-ASCII)? */
function unicodeSpaceAt(b: Buffer, i: number, end: number): boolean {
  const b0 = b[i];
  const b1 = i + 1 < end ? b[i + 1] : -1;
  const b2 = i + 2 < end ? b[i + 2] : -1;
  if (b0 === 0xc2) return b1 === 0xa0;
  if (b0 === 0xe1) return b1 === 0x9a && b2 === 0x80;
  if (b0 === 0xe2) {
    if (b1 === 0x80) return (b2 >= 0x80 && b2 <= 0x8a) || b2 === 0xa8 || b2 === 0xa9 || b2 === 0xaf;
    return b1 === 0x81 && b2 === 0x9f;
  }
  if (b0 === 0xe3) return b1 === 0x80 && b2 === 0x80;
  if (b0 === 0xef) return b1 === 0xbb && b2 === 0xbf;
  return false;
}

const digit = (c: number) => c >= 0x30 && c <= 0x39;

/** Does the content b[s..e) certainly pass `rule`, with the value PostgreSQL will read? */
function cellOk(
  rule: CellRule,
  b: Buffer,
  s: number,
  e: number,
  quoted: boolean,
  escapes: number,
  continuation: number,
): boolean {
  // Empty, quoted or not: NULL (COPY's FORCE_NULL for the quoted one), as the slow path reads
  // both; a required one is an error the slow path reports.
  if (s === e) return !rule.required;
  // Nothing to trim: the stored value is the cell as PostgreSQL reads it.
  if (b[s] <= 0x20 || b[e - 1] <= 0x20) return false;
  if (b[s] >= 0x80 && unicodeSpaceAt(b, s, e)) return false;
  if (b[e - 1] >= 0x80) {
    let k = e - 1;
    while (k > s && (b[k] & 0xc0) === 0x80) k--;
    if (unicodeSpaceAt(b, k, e)) return false;
  }
  switch (rule.kind) {
    case 'text':
      return e - s - continuation - escapes <= rule.maxLength;
    case 'date': {
      if (e - s !== 10 || b[s + 4] !== 0x2d || b[s + 7] !== 0x2d) return false;
      for (const k of [0, 1, 2, 3, 5, 6, 8, 9]) if (!digit(b[s + k])) return false;
      const year =
        (b[s] - 48) * 1000 + (b[s + 1] - 48) * 100 + (b[s + 2] - 48) * 10 + (b[s + 3] - 48);
      const month = (b[s + 5] - 48) * 10 + (b[s + 6] - 48);
      const day = (b[s + 8] - 48) * 10 + (b[s + 9] - 48);
      if (year < 1 || month < 1 || month > 12 || day < 1) return false;
      const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
      return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
    }
    case 'decimal': {
      let i = s;
      if (b[i] === 0x2d) i++;
      const intStart = i;
      while (i < e && digit(b[i])) i++;
      if (i === intStart) return false;
      let first = intStart;
      while (first < i && b[first] === 0x30) first++; // leading zeros do not count
      const significant = i - first;
      if (significant > rule.maxInteger) return false;
      if (i === e) return true;
      if (b[i] !== 0x2e) return false;
      const fracStart = ++i;
      while (i < e && digit(b[i])) i++;
      if (i !== e || i === fracStart) return false;
      let fraction = e - fracStart;
      for (let k = e - 1; k >= fracStart && b[k] === 0x30; k--) fraction--;
      return fraction <= rule.scale;
    }
    case 'currency':
      return e - s === 3 && CURRENCY_CODES.has((b[s] << 16) | (b[s + 1] << 8) | b[s + 2]);
  }
}

/** What one record is, as far as the chunker is concerned. */
const enum Verdict {
  /** Every cell certainly valid. */
  Fast,
  /** Read by the slow path (an invalid or uncertain cell, a wrong cell count…). */
  Slow,
  /** A blank line: no row. */
  Blank,
  /** Every cell empty: a row, skipped. */
  Empty,
  /** Record boundaries may be read differently: the slow path takes the rest of the file. */
  Tail,
}

interface Scan {
  /** Index after the record's line end, or -1 when the record is not complete in `b`. */
  next: number;
  /** Where the content ends (before the line end). */
  contentEnd: number;
  /** Line breaks the record spans, its own line end included. */
  lines: number;
  verdict: Verdict;
}

/**
 * Reads one record of `b` from `pos`. `eof`: `b` ends the file. `rules` undefined: only
 * the boundaries are wanted (the header).
 */
function scanRecord(
  b: Buffer,
  pos: number,
  end: number,
  eof: boolean,
  delimiter: number,
  rules: readonly CellRule[] | undefined,
  out: Scan,
): void {
  let i = pos;
  let field = 0;
  let fieldsOk = true;
  let allEmpty = true;
  let breaks = 0;
  let state = 0; // 0 field start, 1 unquoted, 2 quoted, 3 quote inside quotes
  let s = pos;
  let quoted = false;
  let escapes = 0;
  let continuation = 0;
  let control = false;
  let afterC2 = false;
  let irregular = false;
  let terminator = 0;
  const endField = (e: number) => {
    if (e > s) allEmpty = false;
    if (rules !== undefined) {
      const rule = field < rules.length ? rules[field] : undefined;
      if (!rule || control || !cellOk(rule, b, s, e, quoted, escapes, continuation)) {
        fieldsOk = false;
      }
    }
    field++;
    quoted = false;
    escapes = 0;
    continuation = 0;
    control = false;
    afterC2 = false;
  };
  let contentEnd: number;
  for (;;) {
    if (i >= end) {
      if (!eof) {
        out.next = -1;
        return;
      }
      if (state === 2) irregular = true; // a quote never closed
      endField(state === 3 ? i - 1 : i);
      contentEnd = i;
      break;
    }
    const c = b[i];
    if (c === 0) irregular = true; // a NUL: the slow path fails the file (BINARY)
    if (state === 0) {
      s = i;
      if (c === QUOTE) {
        state = 2;
        quoted = true;
        s = i + 1;
        i++;
        continue;
      }
      state = 1;
    }
    if (state === 1) {
      if (c === delimiter) {
        endField(i);
        state = 0;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        endField(i);
        contentEnd = i;
        if (c === CR) {
          if (i + 1 >= end && !eof) {
            out.next = -1;
            return;
          }
          terminator = i + 1 < end && b[i + 1] === LF ? 2 : 1;
        } else terminator = 1;
        break;
      }
      if (c === QUOTE) irregular = true; // a quote inside an unquoted field
    } else if (state === 2) {
      if (c === QUOTE) {
        state = 3;
        i++;
        continue;
      }
      if (c === CR || c === LF) {
        if (c === CR) {
          if (i + 1 >= end && !eof) {
            out.next = -1;
            return;
          }
          if (i + 1 < end && b[i + 1] === LF) i++;
        }
        breaks++;
        control = true;
        i++;
        continue;
      }
    } else {
      // state 3: the quote before was doubled (a quote in the value) or closed the field
      if (c === QUOTE) {
        escapes++;
        state = 2;
        i++;
        continue;
      }
      const e = i - 1;
      if (c === delimiter) {
        endField(e);
        state = 0;
        i++;
        continue;
      }
      if (c === LF || c === CR) {
        endField(e);
        contentEnd = i;
        if (c === CR) {
          if (i + 1 >= end && !eof) {
            out.next = -1;
            return;
          }
          terminator = i + 1 < end && b[i + 1] === LF ? 2 : 1;
        } else terminator = 1;
        break;
      }
      irregular = true; // text after a closing quote
      state = 1;
    }
    // A content byte of an unquoted or quoted field.
    if (c < 0x20 ? c !== TAB : c === 0x7f) control = true;
    else if (c >= 0x80) {
      if (c < 0xc0) {
        continuation++;
        if (afterC2 && c <= 0x9f) control = true; // U+0080-U+009F
      }
    }
    afterC2 = c === 0xc2;
    i++;
  }
  out.contentEnd = contentEnd;
  out.next = contentEnd + terminator;
  out.lines = breaks + (terminator ? 1 : 0);
  if (irregular) out.verdict = Verdict.Tail;
  else if (field === 1 && allEmpty) out.verdict = Verdict.Blank;
  else if (allEmpty) out.verdict = Verdict.Empty;
  else if (
    rules === undefined ||
    !fieldsOk ||
    field !== rules.length ||
    (b[pos] === 0x5c && b[pos + 1] === 0x2e) // `\.` would end COPY's data
  ) {
    out.verdict = Verdict.Slow;
  } else out.verdict = Verdict.Fast;
}

/** A growable byte buffer, with the offsets of the data rows in it. */
class Bytes {
  buf = Buffer.allocUnsafe(1 << 20);
  length = 0;
  // Reused from chunk to chunk like the bytes: a chunk of 50,000 rows would otherwise leave
  // two arrays of 50,000 numbers to the garbage collector each time, after they had lived
  // long enough (the chunk's write) to reach the old generation.
  starts = new Int32Array(1 << 12);
  ends = new Int32Array(1 << 12);
  rows = 0;
  reset(): this {
    this.length = 0;
    this.rows = 0;
    return this;
  }
  addRow(start: number, end: number): void {
    if (this.rows === this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      const ends = new Int32Array(this.ends.length * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.rows] = start;
    this.ends[this.rows] = end;
    this.rows++;
  }
  append(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.length + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    src.copy(this.buf, this.length, from, to);
    this.length += n;
  }
}

/**
 * Splits `input` (the stored file) into pieces, in file order; see the top of the file.
 * `columns` are the dataset's.
 */
export async function* chunkCsv(
  source: BlockSource,
  columns: readonly DatasetColumn[],
  options: ChunkerOptions,
): AsyncGenerator<CsvPiece, void, undefined> {
  const delimiterText = options.delimiter ?? ',';
  const delimiter = delimiterText.charCodeAt(0);
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  const maxChunkBytes = options.maxChunkBytes ?? MAX_CHUNK_BYTES;
  // Memory stays flat: one read buffer (a record cut by a block's end is moved to its start
  // before the next read) and two chunk buffers, one being filled while the other's chunk
  // is written. A chunk is done with when the consumer asks for the one after the next.
  const work = Buffer.allocUnsafe(maxLineBytes + BLOCK_BYTES + 1);
  let b: Buffer = work.subarray(0, 0);
  let pos = 0;
  let eof = false;
  const more = async (): Promise<void> => {
    if (eof) return;
    const leftover = b.length - pos;
    b.copy(work, 0, pos, b.length);
    const n = await source.read(work, leftover, BLOCK_BYTES);
    if (n === 0) eof = true;
    else options.onBlock(work.subarray(leftover, leftover + n));
    b = work.subarray(0, leftover + n);
    pos = 0;
  };
  const scan: Scan = { next: 0, contentEnd: 0, lines: 0, verdict: Verdict.Fast };

  // The BOM, then blank lines and the header.
  while (b.length < 4 && !eof) await more();
  if (b.length > 0 && FOREIGN_BOM_STARTS.includes(b[0])) {
    // Maybe UTF-16/32 or binary: readCsvRows says which.
    yield { kind: 'whole-file' };
    return;
  }
  if (b.subarray(0, 3).equals(UTF8_BOM)) pos = 3;
  let line = 1;
  let header: CsvHeader | undefined;
  let rules: CellRule[] | undefined;
  while (header === undefined) {
    scanRecord(b, pos, b.length, eof, delimiter, undefined, scan);
    if (scan.next < 0) {
      if (b.length - pos > maxLineBytes) break;
      await more();
      continue;
    }
    if (scan.next === pos && eof) break; // nothing left
    if (scan.verdict === Verdict.Tail || scan.next - pos > maxLineBytes) break;
    if (scan.verdict === Verdict.Blank) {
      line += scan.lines;
      pos = scan.next;
      continue;
    }
    try {
      header = readCsvHeader(b.subarray(pos, scan.contentEnd), line, options);
    } catch (err) {
      if (err instanceof CsvFormatError) break;
      throw err;
    }
    rules = cellRules(header, columns);
    line += scan.lines;
    pos = scan.next;
  }
  if (header === undefined || rules === undefined) {
    yield { kind: 'whole-file' };
    return;
  }

  let row = 0;
  let yielded = 0;
  const buffers = [new Bytes(), new Bytes()];
  let chunk = buffers[0];
  let chunkFrom = pos; // the current chunk's bytes of `b` not yet copied into `chunk`
  let slow = false;
  let rows = 0;
  let lastRow = 0;
  let rowsBefore = row;
  let chunkLine = line;
  const take = () => {
    chunk.append(b, chunkFrom, pos);
    chunkFrom = pos;
  };
  const emit = (): CsvChunk => {
    take();
    const piece: CsvChunk = {
      kind: slow ? 'slow' : 'fast',
      header: header!,
      bytes: chunk.buf.subarray(0, chunk.length),
      starts: chunk.starts.subarray(0, chunk.rows),
      ends: chunk.ends.subarray(0, chunk.rows),
      rows,
      lastRow,
      rowsBefore,
      line: chunkLine,
    };
    chunk = (chunk === buffers[0] ? buffers[1] : buffers[0]).reset();
    slow = false;
    rows = 0;
    lastRow = 0;
    rowsBefore = row;
    chunkLine = line;
    return piece;
  };
  for (;;) {
    if (pos >= b.length && eof) break;
    scanRecord(b, pos, b.length, eof, delimiter, rules, scan);
    if (scan.next < 0) {
      if (b.length - pos > maxLineBytes) break; // an overlong record: the tail
      take();
      await more();
      chunkFrom = pos;
      continue;
    }
    if (scan.verdict === Verdict.Tail || scan.next - pos > maxLineBytes) break;
    if (scan.verdict !== Verdict.Blank) {
      row++;
      if (options.maxRows !== undefined && row > options.maxRows) break;
    }
    if (row <= options.resumeAfter) {
      // Already committed by an earlier attempt: the chunk starts after it.
      line += scan.lines;
      pos = chunkFrom = scan.next;
      rowsBefore = row;
      chunkLine = line;
      continue;
    }
    if (scan.verdict === Verdict.Fast || scan.verdict === Verdict.Slow) {
      if (scan.verdict === Verdict.Slow) slow = true;
      const base = chunk.length + (pos - chunkFrom);
      chunk.addRow(base, base + (scan.contentEnd - pos));
      rows++;
      lastRow = row;
      yielded++;
    }
    line += scan.lines;
    pos = scan.next;
    if (rows >= options.batchRows || chunk.length + (pos - chunkFrom) >= maxChunkBytes) {
      if (rows > 0) yield emit();
      else {
        // Only blank lines and rows of empty cells since the last chunk: no chunk (one with
        // no rows would take the checkpoint back to 0), and nothing kept of them.
        chunk.reset();
        chunkFrom = pos;
        rowsBefore = row;
        chunkLine = line;
      }
    }
  }
  if (pos < b.length || !eof) {
    // The rest of the file, from the current chunk on, goes to readCsvRows.
    take();
    const head = Buffer.concat([chunk.buf.subarray(0, chunk.length), b.subarray(pos)]);
    const rest = async function* () {
      yield head;
      for (;;) {
        const block = Buffer.allocUnsafe(BLOCK_BYTES);
        const n = await source.read(block, 0, BLOCK_BYTES);
        if (n === 0) return;
        options.onBlock(block.subarray(0, n));
        yield block.subarray(0, n);
      }
    };
    yield { kind: 'tail', header, input: Readable.from(rest()), rowsBefore, line: chunkLine };
    return;
  }
  // Blank lines and rows of empty cells after the last full chunk are no chunk: one with no
  // rows would have lastRow 0, and the import would take its checkpoint back to 0.
  if (rows > 0) yield emit();
  if (yielded === 0 && options.resumeAfter === 0) {
    throw new CsvFormatError('NO_DATA_ROWS', 'The file has a header but no data rows.', { line });
  }
}
