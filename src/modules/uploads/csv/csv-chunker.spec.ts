import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { createRowValidator } from '../datasets/dataset';
import { TRANSACTIONS_DATASET } from '../datasets/transactions.dataset';
import { bufferSource, chunkCsv, type CsvPiece } from './csv-chunker';
import { CsvFormatError } from './csv-format-error';
import { readCsvRows, type CsvRowReaderOptions } from './csv-row-reader';
import { random } from '../../../../test/utils/random';

const COLUMNS = TRANSACTIONS_DATASET.columns;
const validate = createRowValidator(TRANSACTIONS_DATASET);
const HEADER = 'external_id,account,booked_at,amount,currency,description,category';
const OPTIONS: CsvRowReaderOptions = {
  requiredColumns: ['external_id', 'account', 'booked_at', 'amount', 'currency'],
  maxLineBytes: 1024,
  maxRows: 10_000,
};

/**
 * What an import makes of a file: valid rows' values in order, row errors, the fatal error
 * that fails the file (its message, and the row and line it names), the last row read.
 */
interface Outcome {
  processed: number;
  valid: Array<Record<string, string | null>>;
  errors: string[];
  fatal?: string;
  fatalRow?: number;
  fatalLine?: number;
  lastRow: number;
}

function emptyOutcome(): Outcome {
  return { processed: 0, valid: [], errors: [], lastRow: 0 };
}

/** The slow path's outcome with the row number of every valid row (for `rowsBetween`). */
type NumberedOutcome = Outcome & { validRows: number[] };

/** Reads rows as the import does: rows up to `resumeAfter` (a checkpoint) are skipped. */
async function readRows(
  input: Readable,
  options: CsvRowReaderOptions,
  out: Outcome,
  resumeAfter: number,
) {
  for await (const row of readCsvRows(input, options)) {
    if (row.row <= resumeAfter) continue;
    out.processed++;
    out.lastRow = row.row;
    if (!row.ok) {
      out.errors.push(`${row.row}/${row.line} ${row.error.column ?? ''}: ${row.error.message}`);
      continue;
    }
    const checked = validate(row.values);
    if (checked.ok) {
      out.valid.push({ ...checked.values });
      (out as Partial<NumberedOutcome>).validRows?.push(row.row);
    } else for (const e of checked.errors) out.errors.push(`${row.row}/${row.line} ${e.message}`);
  }
}

function setFatal(out: Outcome, err: unknown): void {
  if (!(err instanceof CsvFormatError)) throw err;
  out.fatal = err.message;
  out.fatalRow = err.row;
  out.fatalLine = err.line;
}

/** The slow path alone, over the whole file: the reference. */
async function whole(bytes: Buffer, resumeAfter = 0): Promise<NumberedOutcome> {
  const out: NumberedOutcome = { ...emptyOutcome(), validRows: [] };
  try {
    await readRows(Readable.from([bytes]), OPTIONS, out, resumeAfter);
  } catch (err) {
    setFatal(out, err);
  }
  return out;
}

/** The outcome without the row numbers of valid rows (as `piecewise` reports it). */
function plain({ validRows: _, ...outcome }: NumberedOutcome): Outcome {
  return outcome;
}

/** The reference's rows after `after`, up to `upTo` (no fatal error). */
function rowsBetween(reference: NumberedOutcome, after: number, upTo: number): Outcome {
  const within = (row: number) => row > after && row <= upTo;
  const errorRow = (error: string) => Number(error.slice(0, error.indexOf('/')));
  const valid = reference.valid.filter((_, k) => within(reference.validRows[k]));
  const errors = reference.errors.filter((e) => within(errorRow(e)));
  const read = new Set([...reference.validRows, ...reference.errors.map(errorRow)].filter(within));
  return { processed: read.size, valid, errors, lastRow: Math.max(0, ...read) };
}

/** The bytes before line `line` (1-based), lines counted as readCsvRows counts them. */
function linesBefore(bytes: Buffer, line: number): Buffer {
  let at = 0;
  for (let n = 1; n < line; n++) {
    while (bytes[at] !== 0x0a && bytes[at] !== 0x0d) at++;
    at += bytes[at] === 0x0d && bytes[at + 1] === 0x0a ? 2 : 1;
  }
  return bytes.subarray(0, at);
}

/**
 * Expects `outcome` (the file read piecewise, resumed after row `resumeAfter`) to be the
 * slow path's outcome over the whole file, from that row on. After a fatal error (which
 * fails the file) how many of the rows before it were read is not fixed, neither for the
 * slow path alone nor piecewise (readCsvRows may drop rows it parsed just before it
 * throws): then the fatal error must be the same, and the rows read must be the first
 * rows, read as the slow path reads them when it stops before the record in error.
 */
const references = new WeakMap<Buffer, NumberedOutcome>(); // whole(bytes), read once

async function expectSameAsSlowPath(
  outcome: Outcome,
  bytes: Buffer,
  context: object,
  resumeAfter = 0,
): Promise<void> {
  let reference = references.get(bytes);
  if (!reference) references.set(bytes, (reference = await whole(bytes)));
  if (reference.fatal === undefined || reference.fatalLine === undefined) {
    const expected = resumeAfter ? rowsBetween(reference, resumeAfter, Infinity) : plain(reference);
    expect({ ...context, ...outcome }).toEqual({ ...context, ...expected });
    return;
  }
  const { fatal, fatalRow, fatalLine, ...read } = outcome;
  const { fatal: _, fatalRow: __, fatalLine: ___, ...referenceRead } = plain(reference);
  expect({ ...context, fatal, fatalRow, fatalLine }).toEqual({
    ...context,
    fatal: reference.fatal,
    fatalRow: reference.fatalRow,
    fatalLine: reference.fatalLine,
  });
  // The slow path over the records before the one in error, to the end.
  const before = await whole(linesBefore(bytes, reference.fatalLine));
  if (before.fatal !== undefined) expect(before.processed).toBe(0); // NO_DATA_ROWS
  expect({ ...context, ...read }).toEqual({
    ...context,
    ...rowsBetween(before, resumeAfter, read.lastRow),
  });
  expect({ ...context, ...referenceRead }).toEqual({
    ...context,
    ...rowsBetween(before, 0, referenceRead.lastRow),
  });
}

/**
 * As the importer reads it: fast chunks as PostgreSQL would read them (csv-parse without
 * relaxing anything, an empty cell is NULL, quoted or not: FORCE_NULL; bytes that are not
 * UTF-8 refused), the
 * rest through readCsvRows continuing at the piece.
 */
async function piecewise(
  bytes: Buffer,
  blockSize: number,
  batchRows: number,
  resumeAfter = 0,
  maxChunkBytes?: number,
): Promise<{ outcome: Outcome; pieces: CsvPiece['kind'][]; rows: number[] }> {
  const out = emptyOutcome();
  const kinds: CsvPiece['kind'][] = [];
  const chunkRows: number[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const piece of chunkCsv(bufferSource(bytes, blockSize), COLUMNS, {
      ...OPTIONS,
      batchRows,
      resumeAfter,
      maxChunkBytes,
      onBlock: () => undefined,
    })) {
      kinds.push(piece.kind);
      if (piece.kind === 'fast' || piece.kind === 'slow') chunkRows.push(piece.rows);
      if (piece.kind === 'whole-file')
        return { outcome: plain(await whole(bytes, resumeAfter)), pieces: kinds, rows: chunkRows };
      if (piece.kind === 'fast') {
        const names = piece.header.names as string[];
        const rows: Array<Record<string, string | null>> = [];
        const unlike: string[] = []; // rows COPY would not read as here
        let refused = false;
        for (let i = 0; i < piece.starts.length && !refused; i++) {
          const raw = piece.bytes.subarray(piece.starts[i], piece.ends[i]);
          let text: string;
          try {
            text = utf8.decode(raw);
          } catch {
            refused = true; // PostgreSQL refuses the COPY: the slow path reads the chunk
            break;
          }
          const [cells] = parse(text, { cast: (v) => (v === '' ? null : v) });
          if (cells.length !== names.length) unlike.push(`${text}: ${cells.length} cells`);
          if (text.startsWith('\\.')) unlike.push(`${text}: COPY's end-of-data marker`);
          const record: Record<string, string | null> = {};
          COLUMNS.forEach((c) => (record[c.name] = null));
          names.forEach((n, k) => (record[n] = cells[k] as string | null));
          rows.push(record);
        }
        if (!refused) {
          expect(unlike).toEqual([]);
          // What the slow path would have stored for these rows: the same values, valid.
          // (One expectation per chunk: an expectation per cell makes the test slow.)
          const checked = rows.map((r) =>
            validate(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? '']))),
          );
          const copied = rows.map((r) =>
            Object.fromEntries(
              COLUMNS.map((c) => [
                c.name,
                c.type.kind === 'decimal' ? numeric(r[c.name]) : r[c.name],
              ]),
            ),
          );
          expect(checked).toEqual(copied.map((values) => ({ ok: true, values })));
          out.processed += piece.rows;
          out.lastRow = piece.lastRow;
          for (const c of checked) if (c.ok) out.valid.push({ ...c.values });
          continue;
        }
      }
      const input = piece.kind === 'tail' ? piece.input : Readable.from([piece.bytes]);
      await readRows(
        input,
        {
          ...OPTIONS,
          continueAt: { header: piece.header, line: piece.line, rowsBefore: piece.rowsBefore },
        },
        out,
        resumeAfter,
      );
    }
  } catch (err) {
    setFatal(out, err);
  }
  return { outcome: out, pieces: kinds, rows: chunkRows };
}

/**
 * A decimal cell as numeric stores it, in the form parseDecimal writes: no leading zeros,
 * no trailing zeros after the point, and no negative zero (numeric has none).
 */
function numeric(cell: string | null): string | null {
  if (cell === null) return null;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(cell);
  if (!match) return `not a plain decimal: ${cell}`;
  const integer = match[2].replace(/^0+/, '') || '0';
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  const sign = match[1] && (integer !== '0' || fraction !== '') ? '-' : '';
  return `${sign}${integer}${fraction ? `.${fraction}` : ''}`;
}

/** Rows the chunker vouches for. */
const GOOD_ROWS = [
  (i: number) => `T-${i},DE89,2025-03-0${(i % 9) + 1},${i}.50,EUR,"Shop, ""Zur Post"" ${i}",food`,
  (i: number) => `T-${i},ACC,2024-02-29,-0.0000,USD,Café ${i},`,
  (i: number) => `"T-${i}","ACC","2025-12-31","007.1000","JPY",,`,
  (i: number) => `T-${i},ACC,2025-01-01,99999999999999.9999,CHF,Müller ${i} — ok,x`,
];
/** Rows it leaves to the slow path (valid or not), and rows that are no rows. */
const ODD_ROWS = [
  (i: number) => ` T-${i} ,ACC,2025-01-01,1,EUR,,`, // spaces to trim: valid, slow path
  (i: number) => `"T-${i}","ACC","2025-12-31","1","JPY","",""`, // quoted empties: NULL
  (i: number) => `T-${i},ACC,2025-02-30,1,EUR,,`, // not a calendar date
  (i: number) => `T-${i},ACC,2025-01-01,1.23456,EUR,,`, // too many decimals
  (i: number) => `T-${i},ACC,2025-01-01,1,eur,,`, // lower case
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR`, // a cell short
  (i: number) => `T-${i},,2025-01-01,1,EUR,,`, // required empty
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,"two\nlines",`, // quoted line break
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,tab\there,`, // tab inside: valid
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,nbsp\u00a0,`, // trailing NBSP: trimmed by JS
  () => '',
  () => ',,,,,,',
  () => '""', // one empty quoted field: a blank line
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,${'x'.repeat(501)},`, // description too long
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,ctrl\u0085,`, // C1 control
  () => `\\.,ACC,2025-01-01,1,EUR,,`,
];
const WILD_ROWS = [
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,5" pipe,`, // a quote inside a field
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,"a"b,`, // text after a closing quote
  (i: number) => `T-${i},ACC,2025-01-01,1,EUR,${'y'.repeat(1100)},`, // over maxLineBytes
];

/**
 * A file of random rows; `wild` ones also have rows that make the chunker hand the rest of
 * the file to the slow path, some of them fatal (longer than maxLineBytes).
 */
function randomFile(seed: number, wild: boolean): Buffer {
  const next = random(seed);
  const ends = ['\n', '\r\n', '\r'];
  const end = ends[Math.floor(next() * 3)];
  const parts: Buffer[] = [Buffer.from((next() < 0.2 ? '\ufeff' : '') + HEADER + end)];
  const rows = 20 + Math.floor(next() * 200);
  for (let i = 1; i <= rows; i++) {
    const r = next();
    let text: string;
    if (r < 0.75) text = GOOD_ROWS[Math.floor(next() * GOOD_ROWS.length)](i);
    else if (r < 0.97 || !wild) text = ODD_ROWS[Math.floor(next() * ODD_ROWS.length)](i);
    else text = WILD_ROWS[Math.floor(next() * WILD_ROWS.length)](i);
    const lineEnd = next() < 0.05 ? ends[Math.floor(next() * 3)] : end;
    parts.push(Buffer.from(text + (i === rows && next() < 0.5 ? '' : lineEnd)));
    if (next() < 0.01) parts.push(Buffer.from([0xc3, 0x28, 0x2c, 0x0a])); // not UTF-8
  }
  return Buffer.concat(parts);
}

describe('chunkCsv', () => {
  it('reads like the slow path alone on random files: same rows, values, errors, numbering', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const bytes = randomFile(seed, seed % 3 === 0);
      for (const [block, batch, resumeAfter] of [
        [7, 3, 0],
        [64, 10, 0],
        [100_000, 1000, 0],
        [64, 10, 1 + (seed % 40)], // a retry, resumed after the checkpoint
      ]) {
        const { outcome } = await piecewise(bytes, block, batch, resumeAfter);
        await expectSameAsSlowPath(
          outcome,
          bytes,
          { seed, block, batch, resumeAfter },
          resumeAfter,
        );
      }
    }
  });

  it('ends a chunk at maxChunkBytes, and makes no chunk of blank lines and empty rows alone', async () => {
    const good = (i: number) => GOOD_ROWS[0](i);
    const filler = Array.from({ length: 40 }, (_, i) => (i % 2 ? '"","","","","","",""' : ''));
    // Rows 1-2, 20 rows of empty cells (3-22), row 23, 20 more (24-43), rows 44 and 45.
    const lines = [HEADER, good(1), good(2), ...filler, good(23), ...filler, good(44), good(45)];
    const bytes = Buffer.from(lines.join('\n') + '\n');
    // A cap of 64 bytes: every good row fills a chunk, and so would each run of filler.
    const { outcome, rows } = await piecewise(bytes, 7, 1000, 0, 64);
    expect(rows.every((n) => n > 0)).toBe(true);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(5);
    expect(outcome.lastRow).toBe(45);
    await expectSameAsSlowPath(outcome, bytes, {});
    // Resumed inside the filler: the same rows after it, numbered as in the whole file.
    const resumed = await piecewise(bytes, 7, 1000, 10, 64);
    expect(resumed.rows.every((n) => n > 0)).toBe(true);
    expect(resumed.outcome.lastRow).toBe(45);
    expect(resumed.outcome.processed).toBe(3);
  });

  it('vouches for clean rows: a clean file is all fast chunks of batchRows rows', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => GOOD_ROWS[i % GOOD_ROWS.length](i + 1));
    const bytes = Buffer.from([HEADER, ...rows].join('\r\n') + '\r\n');
    const { outcome, pieces } = await piecewise(bytes, 13, 10);
    expect(pieces).toEqual(['fast', 'fast', 'fast']);
    expect(outcome.processed).toBe(25);
    expect(outcome.lastRow).toBe(25);
    await expectSameAsSlowPath(outcome, bytes, {});
  });

  it('leaves a chunk with an invalid row to the slow path, and only that chunk', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => GOOD_ROWS[0](i + 1));
    rows[14] = 'T-15,ACC,2025-02-30,1,EUR,,';
    const { outcome, pieces } = await piecewise(Buffer.from([HEADER, ...rows].join('\n')), 50, 10);
    expect(pieces).toEqual(['fast', 'slow', 'fast']);
    expect(outcome.errors).toEqual(['15/16 booked_at is not a calendar date: 2025-02 has 28 days']);
  });

  it('hands the rest of the file to the slow path at a quote it cannot place', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => GOOD_ROWS[0](i + 1));
    rows[12] = 'T-13,ACC,2025-01-01,1,EUR,"closed by a later quote';
    const bytes = Buffer.from([HEADER, ...rows].join('\n'));
    const { outcome, pieces } = await piecewise(bytes, 50, 10);
    expect(pieces).toEqual(['fast', 'tail']);
    // The first quote in row 14 closes it: one record of 8 cells on lines 14-15, then rows.
    expect(outcome.fatal).toBeUndefined();
    expect(outcome.errors).toEqual(['13/14 : Row 13 (line 14) has 8 cells; the header has 7.']);
    await expectSameAsSlowPath(outcome, bytes, {});
  });

  it('hands the rest of the file to the slow path at a quote never closed, which fails it', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => GOOD_ROWS[i < 12 ? 0 : 1](i + 1));
    rows[12] = 'T-13,ACC,2025-01-01,1,EUR,"never closed';
    const bytes = Buffer.from([HEADER, ...rows].join('\n'));
    const { outcome, pieces } = await piecewise(bytes, 50, 10);
    expect(pieces).toEqual(['fast', 'tail']);
    expect(outcome.fatal).toMatch(/starts in row 13 \(line 14\) is never closed/);
    expect(outcome.processed).toBeGreaterThanOrEqual(10); // the fast chunk
    await expectSameAsSlowPath(outcome, bytes, {});
  });

  it('leaves files it cannot vouch for from the header on to the slow path', async () => {
    for (const bytes of [
      Buffer.from(`${HEADER},extra\nT-1,A,2025-01-01,1,EUR,,,x\n`), // a column the dataset lacks
      Buffer.from([0xff, 0xfe, 0x41, 0x00]), // UTF-16
      Buffer.from('\n\n'), // nothing
    ]) {
      const { pieces, outcome } = await piecewise(bytes, 64, 10);
      expect(pieces).toEqual(['whole-file']);
      await expectSameAsSlowPath(outcome, bytes, {});
    }
  });

  it('makes no chunk of the blank lines and empty rows after the last full chunk', async () => {
    // A chunk without rows has lastRow 0: the import would take its checkpoint back to 0.
    const rows = Array.from({ length: 20 }, (_, i) => GOOD_ROWS[i % GOOD_ROWS.length](i + 1));
    const bytes = Buffer.from([HEADER, ...rows, ',,,,,,', '', ',,,,,,', ''].join('\n'));
    const { outcome, pieces } = await piecewise(bytes, 64, 10);
    expect(pieces).toEqual(['fast', 'fast']);
    expect([outcome.processed, outcome.lastRow]).toEqual([20, 20]);
    await expectSameAsSlowPath(outcome, bytes, {});
  });

  it('skips the rows before a checkpoint and numbers the rest as the whole file does', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => GOOD_ROWS[0](i + 1));
    rows[21] = 'T-22,ACC,2025-02-30,1,EUR,,';
    const bytes = Buffer.from([HEADER, '', ...rows].join('\n'));
    const pieces: CsvPiece[] = [];
    for await (const piece of chunkCsv(bufferSource(bytes, 16), COLUMNS, {
      ...OPTIONS,
      batchRows: 10,
      resumeAfter: 12,
      onBlock: () => undefined,
    })) {
      pieces.push(piece);
    }
    // Rows 13-22 (row 22 invalid), then 23-25; row 13 is on line 15 (a blank line 2).
    expect(pieces.map((p) => [p.kind, 'rowsBefore' in p ? p.rowsBefore : -1])).toEqual([
      ['slow', 12],
      ['fast', 22],
    ]);
    const [first, second] = pieces as Extract<CsvPiece, { kind: 'fast' | 'slow' }>[];
    expect([first.rows, first.lastRow, first.line]).toEqual([10, 22, 15]);
    expect([second.rows, second.lastRow, second.line]).toEqual([3, 25, 25]);
    const { outcome } = await piecewise(bytes, 16, 10, 12);
    expect(outcome.errors).toEqual(['22/24 booked_at is not a calendar date: 2025-02 has 28 days']);
    expect([outcome.processed, outcome.lastRow]).toEqual([13, 25]);
    await expectSameAsSlowPath(outcome, bytes, {}, 12);
  });
});
