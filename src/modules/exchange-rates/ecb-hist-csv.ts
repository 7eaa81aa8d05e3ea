/**
 * Streaming reader of the ECB's full history as published in eurofxref-hist.zip: one CSV file
 * (eurofxref-hist.csv), a header `Date,USD,JPY,BGN,CYP,…,` naming every currency the ECB has
 * ever quoted, then one row per publication day, newest first, `N/A` where a currency was not
 * quoted that day, every line ending with a comma:
 *
 *   Date,USD,JPY,BGN,CYP,CZK,…,
 *   2023-02-21,1.0664,143.53,1.9558,N/A,23.748,…,
 *
 * Format choice for the full history: the provider downloads eurofxref-hist.zip (about
 * 0.6 MB: the zipped CSV) and not eurofxref-hist.xml (one element and two attributes per rate,
 * about 1.1 KB a day in the history fixtures, so 8 MB or more for 7,000 days; larger still if
 * served indented). Same days and rates; the ZIP is at least ten times fewer bytes to fetch,
 * and reading it costs one streaming inflate and a split on commas. Its integrity is checked
 * by the ZIP itself (the deflate stream must end, the CSV must have the size and CRC-32 the
 * central directory records), where a cut XML only shows as an unclosed element and a changed
 * digit in it not at all. Daily and 90-day updates use the small XML files (ecb-xml.ts); both
 * parsers yield the same EcbDay. Caveats: the history XML drops trailing zeros ('0.8562') where
 * the daily XML keeps them ('0.85620'), and whether the CSV keeps them is not verified here
 * (no copy of the real file): compare rates by value, not as strings. Each row must have as
 * many fields as the header; a real file that breaks that will be refused, not guessed at.
 *
 * Memory stays flat: inflated text is consumed line by line and each day yielded at once;
 * only the set of dates seen (duplicate check) grows, by one short string a day.
 */
import { TextDecoder } from 'node:util';
import { crc32 } from 'node:zlib';
import { Unzip, UnzipInflate, UnzipPassThrough, type UnzipFile } from 'fflate';
import { decodeTextChunks } from '../../common/util/text-chunks';
import {
  checkCurrency,
  checkDate,
  checkRate,
  DEFAULT_MAX_BYTES,
  type EcbDay,
  EcbFormatError,
  type EcbParseOptions,
  show,
} from './ecb-format';

/** The CSV of eurofxref-hist.zip, pushed as text in any chunking; days collect in `ready`. */
class EcbCsvReader {
  readonly ready: EcbDay[] = [];
  private readonly seen = new Set<string>();
  private currencies: string[] | null = null;
  private rest = '';
  private line = 0;
  private started = false;
  days = 0;

  push(text: string): void {
    if (text.length > 0) this.started = true;
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop() as string;
    for (const l of lines) this.row(l);
  }

  end(): void {
    if (this.rest !== '') this.row(this.rest);
    this.rest = '';
    if (!this.started) throw new EcbFormatError('empty', 'the ECB history CSV is empty');
    if (this.days === 0) throw new EcbFormatError('no_rates', 'the ECB history CSV has no day');
  }

  private row(raw: string): void {
    this.line += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (text.includes('"')) {
      this.fail(this.currencies ? 'bad_structure' : 'not_csv', 'a quoted field');
    }
    const cells = text.split(',').map((c) => c.trim());
    if (cells.length > 1 && cells[cells.length - 1] === '') cells.pop(); // the final comma
    if (!this.currencies) return this.header(cells, text);
    if (cells.length !== this.currencies.length + 1) {
      this.fail(
        'bad_structure',
        `${cells.length} fields where the header has ${this.currencies.length + 1}`,
      );
    }
    const date = checkDate(cells[0], `line ${this.line}`);
    if (this.seen.has(date)) {
      throw new EcbFormatError('duplicate_day', `the day ${date} appears twice`, {
        date,
        line: this.line,
      });
    }
    this.seen.add(date);
    const rates: Record<string, string> = {};
    this.currencies.forEach((currency, i) => {
      const value = cells[i + 1];
      if (value !== 'N/A' && value !== '') rates[currency] = checkRate(value, date, currency);
    });
    if (Object.keys(rates).length === 0) this.fail('bad_structure', `${date}: no rate at all`);
    this.ready.push({ date, rates });
    this.days += 1;
  }

  private header(cells: string[], text: string): void {
    if (cells[0] !== 'Date' || cells.length < 2) {
      const html = /^\s*<(?:!doctype\s+html|html)\b/i.test(text) ? ' (an HTML page)' : '';
      this.fail('not_csv', `not the ECB history CSV${html}: the first line is ${show(text)}`);
    }
    const currencies = cells.slice(1).map((c) => checkCurrency(c, 'header'));
    if (new Set(currencies).size !== currencies.length) {
      this.fail('bad_structure', 'a currency appears twice in the header');
    }
    this.currencies = currencies;
  }

  private fail(code: 'bad_structure' | 'not_csv', message: string): never {
    throw new EcbFormatError(code, `line ${this.line}: ${message}`, { line: this.line });
  }
}

/**
 * The days of eurofxref-hist.csv (plain text, not zipped), in file order (newest first).
 * A CSV cut at a line end cannot be told from a whole one: prefer readEcbHistZip.
 */
export async function* readEcbHistCsv(
  source: AsyncIterable<Uint8Array | string>,
  options: EcbParseOptions = {},
): AsyncGenerator<EcbDay, void, undefined> {
  const reader = new EcbCsvReader();
  const text = decodeTextChunks(source, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    tooLarge: (max) => new EcbFormatError('too_large', `the ECB CSV is larger than ${max} bytes`),
    notUtf8: (_atEnd, cause) =>
      new EcbFormatError('not_csv', 'the ECB CSV is not UTF-8', {}, { cause }),
  });
  for await (const chunk of text) {
    try {
      reader.push(chunk);
    } finally {
      yield* drain(reader.ready); // the days before a fault, then the fault
    }
  }
  try {
    reader.end();
  } finally {
    yield* drain(reader.ready);
  }
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]; // 'PK\3\4', a local file header

/**
 * The days of eurofxref-hist.zip, streamed: the ZIP is inflated as its bytes arrive and the
 * one CSV inside it read line by line. Throws EcbFormatError: not_zip, damaged_zip, truncated (the ZIP, its
 * deflate stream or its central directory ends early, or the CSV is shorter than the ZIP
 * says), too_large, and every error of the CSV itself.
 */
export async function* readEcbHistZip(
  source: AsyncIterable<Uint8Array>,
  options: EcbParseOptions = {},
): AsyncGenerator<EcbDay, void, undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const reader = new EcbCsvReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let failure: unknown = null;
  let entry: UnzipFile | null = null;
  let inflated = 0;
  let crc = 0;
  let finished = false;
  let lastPush = false;
  let head: Uint8Array = new Uint8Array(0);
  let tail: Uint8Array = new Uint8Array(0); // the last bytes, where the ZIP's end record is

  const unzip = new Unzip((file) => {
    if (!file.name.toLowerCase().endsWith('.csv')) return; // never started: skipped
    if (entry) {
      failure ??= new EcbFormatError('bad_structure', 'more than one CSV in the ECB ZIP');
      return;
    }
    entry = file;
    file.ondata = (err, data, final) => {
      if (failure) return;
      try {
        if (err) throw inflateError(err, lastPush);
        inflated += data.byteLength;
        crc = crc32(data, crc);
        if (inflated > maxBytes) {
          throw new EcbFormatError('too_large', `the ECB CSV is larger than ${maxBytes} bytes`);
        }
        reader.push(decodeUtf8(decoder, data, !final));
        if (final) {
          const announced = file.originalSize;
          if (announced !== undefined && announced !== 0xffffffff && announced !== inflated) {
            throw new EcbFormatError(
              'truncated',
              `the ECB CSV has ${inflated} bytes, the ZIP announces ${announced}`,
            );
          }
          finished = true;
        }
      } catch (e) {
        failure = e;
      }
    };
    try {
      file.start();
    } catch (e) {
      failure = new EcbFormatError(
        'not_zip',
        `the ECB ZIP entry cannot be read: ${String(e)}`,
        {},
        { cause: e },
      );
    }
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);

  const push = (chunk: Uint8Array, final: boolean): void => {
    lastPush = final;
    try {
      unzip.push(chunk, final);
    } catch (e) {
      failure ??= inflateError(e, final);
    }
    if (failure) throw failure;
  };

  for await (const chunk of source) {
    if (head.length < ZIP_MAGIC.length) {
      head = concat(head, chunk.subarray(0, ZIP_MAGIC.length - head.length));
      if (ZIP_MAGIC.some((b, i) => i < head.length && head[i] !== b)) {
        const text = new TextDecoder().decode(head);
        throw new EcbFormatError('not_zip', `not a ZIP file (starts with ${show(text)})`);
      }
    }
    tail = keepTail(tail, chunk);
    try {
      push(chunk, false);
    } finally {
      yield* drain(reader.ready);
    }
  }
  try {
    push(new Uint8Array(0), true);
    if (head.length === 0) throw new EcbFormatError('empty', 'the ECB ZIP is empty');
    const end = findEndRecord(tail);
    if (end < 0) {
      throw new EcbFormatError('truncated', 'the ECB ZIP ends before its central directory');
    }
    if (!entry) throw new EcbFormatError('not_zip', 'no CSV file in the ECB ZIP');
    if (!finished) throw new EcbFormatError('truncated', 'the ECB ZIP ends inside the CSV');
    const expected = directoryCrc(tail, end, (entry as UnzipFile).name);
    if (expected === undefined) {
      throw new EcbFormatError('damaged_zip', 'the CSV is not in the ECB ZIP’s central directory');
    }
    if (expected !== crc) {
      throw new EcbFormatError(
        'damaged_zip',
        'the ECB CSV does not match its ZIP checksum (CRC-32)',
      );
    }
    reader.end();
  } finally {
    yield* drain(reader.ready);
  }
}

/** An error of fflate: at the end of the input, the ZIP was cut; before it, damaged. */
function inflateError(err: unknown, atEnd: boolean): EcbFormatError {
  const message = err instanceof Error ? err.message : String(err);
  return atEnd
    ? new EcbFormatError('truncated', `the ECB ZIP is cut short: ${message}`, {}, { cause: err })
    : new EcbFormatError('damaged_zip', `the ECB ZIP is damaged: ${message}`, {}, { cause: err });
}

// End of central directory record: signature, 18 bytes, then a comment of up to 65,535 bytes.
const EOCD_MAX = 22 + 0xffff;

function keepTail(tail: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (chunk.length >= EOCD_MAX) return chunk.slice(chunk.length - EOCD_MAX);
  const joined = concat(tail, chunk);
  return joined.length > EOCD_MAX ? joined.slice(joined.length - EOCD_MAX) : joined;
}

/** Where the ZIP's end-of-central-directory record starts in `tail` (the bytes' end), or -1. */
function findEndRecord(tail: Uint8Array): number {
  for (let i = tail.length - 22; i >= 0; i -= 1) {
    if (u32(tail, i) === 0x06054b50 && i + 22 + u16(tail, i + 20) === tail.length) return i;
  }
  return -1;
}

/**
 * The CRC-32 the central directory records for the file `name`; undefined when the directory
 * is not within `tail` or does not list the file. (The local header's CRC can be 0 when the
 * ZIP was written as a stream; the central directory's is always set.)
 */
function directoryCrc(tail: Uint8Array, end: number, name: string): number | undefined {
  const size = u32(tail, end + 12);
  let p = end - size;
  if (p < 0) return undefined;
  while (p + 46 <= end && u32(tail, p) === 0x02014b50) {
    const nameLength = u16(tail, p + 28);
    const entryName = new TextDecoder().decode(tail.subarray(p + 46, p + 46 + nameLength));
    if (entryName === name) return u32(tail, p + 16);
    p += 46 + nameLength + u16(tail, p + 30) + u16(tail, p + 32);
  }
  return undefined;
}

function u16(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}

function u32(b: Uint8Array, i: number): number {
  return (u16(b, i) | (u16(b, i + 2) << 16)) >>> 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function decodeUtf8(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch (err) {
    throw new EcbFormatError('not_csv', 'the ECB CSV is not UTF-8', {}, { cause: err });
  }
}

function* drain(ready: EcbDay[]): Generator<EcbDay> {
  while (ready.length > 0) yield ready.shift() as EcbDay;
}
