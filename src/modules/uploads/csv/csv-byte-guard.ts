import { Transform, type TransformCallback } from 'node:stream';
import { CsvFormatError, describeLocation, type CsvLocation } from './csv-format-error';

const NUL = 0x00;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const FOREIGN_BOMS: ReadonlyArray<readonly [string, Buffer]> = [
  // UTF-32 LE starts like UTF-16 LE, so it is tested first.
  ['UTF-32', Buffer.from([0xff, 0xfe, 0x00, 0x00])],
  ['UTF-32', Buffer.from([0x00, 0x00, 0xfe, 0xff])],
  ['UTF-16', Buffer.from([0xff, 0xfe])],
  ['UTF-16', Buffer.from([0xfe, 0xff])],
];
const SNIFF_BYTES = 4;

/**
 * Sits between the raw upload and csv-parse and checks the bytes before the parser buffers
 * them: strips a UTF-8 BOM, refuses UTF-16/32 and NUL bytes, and bounds the size of a record.
 *
 * The bound has to live here: csv-parse's `max_record_size` counts only field content (a line
 * of a million delimiters passes it while the parser builds a million-cell array), and by
 * the time a record reaches the reader it is already in memory. So this guard finds record
 * boundaries itself, with the quoting rules the reader gives csv-parse (RFC 4180 plus
 * `relax_quotes`): a quote opens a quoted field only as the first byte of a field, `""`
 * inside it is a quote, and any other quote closes it; a quote elsewhere is text. It also
 * counts lines and rows the way the reader does, so its errors point at the right place
 * although the parser is a few records behind it.
 */
export class CsvByteGuard extends Transform {
  private head: Buffer | undefined = Buffer.alloc(0); // bytes held until the BOM is known
  private line: number;
  private recordLine: number;
  private recordBytes = 0;
  private recordQuotes = 0; // quote bytes in the current record
  private recordsBefore: number; // non-blank records already complete, the header included
  private inQuotes = false;
  private quoteInQuotes = false; // a quote inside a quoted field: doubled or closing?
  private atFieldStart = true;
  private afterCR = false;
  private readonly delimiter: number;

  /** `delimiter` is the reader's, one ASCII character. */
  /**
   * `continueAt`: the input starts at a record boundary inside a file (not at its start):
   * no BOM is looked for, lines count from `line`, and `rowsBefore` data rows precede it.
   */
  constructor(
    private readonly maxRecordBytes: number,
    delimiter: string,
    continueAt?: { line: number; rowsBefore: number },
  ) {
    super();
    this.delimiter = delimiter.charCodeAt(0);
    this.line = this.recordLine = continueAt?.line ?? 1;
    this.recordsBefore = continueAt ? continueAt.rowsBefore + 1 : 0;
    if (continueAt) this.head = undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let bytes = chunk;
    if (this.head !== undefined) {
      bytes = Buffer.concat([this.head, chunk]);
      if (bytes.length < SNIFF_BYTES) {
        this.head = bytes;
        return done();
      }
      this.head = undefined;
      try {
        bytes = stripBom(bytes);
      } catch (err) {
        return done(err as Error);
      }
    }
    done(this.scan(bytes), bytes);
  }

  override _flush(done: TransformCallback): void {
    if (this.head !== undefined && this.head.length > 0) {
      // The whole file is shorter than the sniffing window.
      try {
        const bytes = stripBom(this.head);
        const err = this.scan(bytes);
        if (err) return done(err);
        this.push(bytes);
      } catch (err) {
        return done(err as Error);
      }
    }
    if (this.inQuotes && !this.quoteInQuotes) {
      const where = this.where();
      return done(
        new CsvFormatError(
          'UNTERMINATED_QUOTE',
          `A quoted field that starts in ${describeLocation(where)} is never closed: a quote is missing.`,
          where,
        ),
      );
    }
    done();
  }

  /** Returns the first problem in `bytes`, or undefined; updates the record state. */
  private scan(bytes: Buffer): CsvFormatError | undefined {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      const wasCR = this.afterCR;
      this.afterCR = byte === CR;
      if (this.quoteInQuotes) {
        this.quoteInQuotes = false;
        // `""` stays inside the field; anything else follows a closing quote.
        if (byte !== QUOTE) this.inQuotes = false;
      } else if (this.inQuotes && byte === QUOTE) {
        this.quoteInQuotes = true;
      }
      if (byte === LF || byte === CR) {
        if (byte === LF && wasCR) continue; // CRLF is one line break
        this.line++;
        if (!this.inQuotes) {
          this.endRecord();
          continue;
        }
      } else if (byte === NUL) {
        const where = { ...this.where(), line: this.line };
        return new CsvFormatError(
          'BINARY',
          `The file contains a NUL byte in ${describeLocation(where)}: it looks like a binary file or UTF-16 text, not a UTF-8 CSV.`,
          where,
        );
      } else if (!this.inQuotes) {
        if (byte === QUOTE && this.atFieldStart) this.inQuotes = true;
        this.atFieldStart = byte === this.delimiter;
      }
      if (byte === QUOTE) this.recordQuotes++;
      if (++this.recordBytes > this.maxRecordBytes) {
        const where = this.where();
        return new CsvFormatError(
          'LINE_TOO_LONG',
          `The record in ${describeLocation(where)} is longer than ${this.maxRecordBytes} bytes. ` +
            'If the file has no such long lines, a quote is probably missing.',
          where,
        );
      }
    }
    return undefined;
  }

  private endRecord(): void {
    // The reader skips a blank line and a line of one empty quoted field (`""`) alike.
    if (this.recordBytes > 0 && !(this.recordBytes === 2 && this.recordQuotes === 2)) {
      this.recordsBefore++;
    }
    this.recordQuotes = 0;
    this.recordBytes = 0;
    this.recordLine = this.line;
    this.atFieldStart = true;
  }

  /** The current record: the header while no record is complete, else a data row. */
  private where(): CsvLocation {
    return this.recordsBefore === 0
      ? { line: this.recordLine }
      : { row: this.recordsBefore, line: this.recordLine };
  }
}

/** The bytes without a UTF-8 BOM; throws UNSUPPORTED_ENCODING on a UTF-16/32 one. */
export function stripBom(bytes: Buffer): Buffer {
  for (const [encoding, bom] of FOREIGN_BOMS) {
    if (bytes.subarray(0, bom.length).equals(bom)) {
      throw new CsvFormatError(
        'UNSUPPORTED_ENCODING',
        `The file is ${encoding} text; save it as UTF-8 and upload it again.`,
        { line: 1 },
      );
    }
  }
  return bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)
    ? bytes.subarray(UTF8_BOM.length)
    : bytes;
}
