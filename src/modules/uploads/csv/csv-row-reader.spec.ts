import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { FIXTURES } from '../../../../test/utils/fixtures';
import { CsvFormatError } from './csv-format-error';
import { readCsvRows, type CsvRow, type CsvRowReaderOptions } from './csv-row-reader';

const SPECTRUM = join(FIXTURES, 'csv-spectrum');
const EDGE = join(FIXTURES, 'csv-edge-cases');

/** A stream of the given bytes, cut into chunks of `chunkSize` bytes. */
function streamOf(content: string | Buffer, chunkSize = 64 * 1024): Readable {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

interface ReadResult {
  rows: CsvRow[];
  values: Array<Record<string, string>>;
  rowErrors: CsvFormatError[];
  fatal?: CsvFormatError;
}

async function readAll(input: Readable, options?: CsvRowReaderOptions): Promise<ReadResult> {
  const result: ReadResult = { rows: [], values: [], rowErrors: [] };
  try {
    for await (const row of readCsvRows(input, options)) {
      result.rows.push(row);
      if (row.ok) result.values.push({ ...row.values });
      else result.rowErrors.push(row.error);
    }
  } catch (err) {
    if (!(err instanceof CsvFormatError)) throw err;
    result.fatal = err;
  }
  return result;
}

const read = (content: string | Buffer, options?: CsvRowReaderOptions, chunkSize?: number) =>
  readAll(streamOf(content, chunkSize), options);

describe('readCsvRows', () => {
  describe('csv-spectrum fixtures', () => {
    const files = readdirSync(join(SPECTRUM, 'csvs')).filter((f) => f.endsWith('.csv'));

    it.each(files)('%s parses to its expected JSON, in one chunk or byte by byte', async (file) => {
      let bytes = readFileSync(join(SPECTRUM, 'csvs', file));
      if (file.endsWith('_crlf.csv')) {
        // npm's csv-spectrum@2.0.0 lost the CRs of its *_crlf files (their JSON still expects
        // them), so the intended CRLF variant is rebuilt here.
        bytes = Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
      }
      const parsed = JSON.parse(
        readFileSync(join(SPECTRUM, 'json', file.replace(/csv$/, 'json')), 'utf8'),
      );
      let expected = Array.isArray(parsed) ? parsed : [parsed];
      if (file === 'location_coordinates.csv') {
        // The upstream fixture's expected phone number differs from the one in its CSV
        // (a known csv-spectrum mistake); every other cell, the U+FFFD ones included, must match.
        expected = expected.map((row) => ({ ...row, 'Contact Phone Number': '2095257564' }));
      }
      for (const chunkSize of [64 * 1024, 1]) {
        const { values, rowErrors, fatal } = await read(bytes, undefined, chunkSize);
        expect(fatal).toBeUndefined();
        expect(rowErrors).toEqual([]);
        expect(values).toEqual(expected);
      }
    });
  });

  describe('encodings and line endings', () => {
    it('strips a UTF-8 BOM, even when it arrives split across chunks', async () => {
      for (const chunkSize of [1, 2, 1024]) {
        const { values } = await read('\ufeffid,name\n1,Zoë\n', undefined, chunkSize);
        expect(values).toEqual([{ id: '1', name: 'Zoë' }]);
      }
      const fixture = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvkit-examples/test_utf8_bom.csv'))),
      );
      expect(fixture.values).toEqual([
        { foo: '1', bar: '2', baz: '3' },
        { foo: '4', bar: '5', baz: 'ʤ' },
      ]);
    });

    it('keeps a BOM character inside a value (only the file-level one is a BOM)', async () => {
      const { values } = await read('a,b\n1,\ufeffx\n');
      expect(values).toEqual([{ a: '1', b: '\ufeffx' }]);
    });

    it('accepts LF, CRLF, CR-only and mixed line endings', async () => {
      const expected = [
        { a: '1', b: '2' },
        { a: '3', b: '4' },
        { a: '5', b: '6' },
      ];
      for (const eol of ['\n', '\r\n', '\r']) {
        expect((await read(`a,b${eol}1,2${eol}3,4${eol}5,6${eol}`)).values).toEqual(expected);
      }
      expect((await read('a,b\r\n1,2\n3,4\r5,6')).values).toEqual(expected);
      const mixed = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvlint-rb/inconsistent-line-endings.csv'))),
      );
      expect(mixed.values).toHaveLength(2);
      const mac = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvkit-examples/mac_newlines.csv'))),
      );
      expect(mac.values[1]).toEqual({ a: 'Once upon\ra time', b: '5', c: '6' });
    });

    it('reads quoted fields with delimiters, doubled quotes and line breaks', async () => {
      const { values } = await read('a,b\r\n"x, y","say ""hi"""\r\n"two\r\nlines","3"\r\n');
      expect(values).toEqual([
        { a: 'x, y', b: 'say "hi"' },
        { a: 'two\r\nlines', b: '3' },
      ]);
    });

    it('numbers data rows from 1 and reports the line each record starts on', async () => {
      const { rows } = await read('\na,b\n1,"multi\nline\r\nvalue"\n\n2,3\r\n4,5');
      expect(rows.map(({ row, line }) => [row, line])).toEqual([
        [1, 3],
        [2, 7],
        [3, 8],
      ]);
    });

    it('reports invalid UTF-8 in a data row with its row and column, and reads on', async () => {
      const latin1 = readFileSync(join(EDGE, 'csvkit-examples/test_latin1.csv')); // "4,5,©" in Latin-1
      const { values, rowErrors, fatal } = await readAll(streamOf(latin1));
      expect(fatal).toBeUndefined();
      expect(values).toEqual([{ a: '1', b: '2', c: '3' }]);
      expect(rowErrors).toMatchObject([{ code: 'INVALID_UTF8', row: 2, line: 3, column: 'c' }]);

      const bad = [
        [0xc3], // truncated two-byte sequence
        [0x80], // lone continuation byte
        [0xc0, 0xaf], // overlong "/"
        [0xed, 0xa0, 0x80], // encoded surrogate
        [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
      ];
      for (const bytes of bad) {
        const file = Buffer.concat([
          Buffer.from('a,b\nok,1\nx'),
          Buffer.from(bytes),
          Buffer.from('y,2\nok,3\n'),
        ]);
        const result = await read(file);
        expect(result.rowErrors).toMatchObject([{ code: 'INVALID_UTF8', row: 2, column: 'a' }]);
        expect(result.values).toEqual([
          { a: 'ok', b: '1' },
          { a: 'ok', b: '3' },
        ]);
      }
    });

    it('rejects a header that is not UTF-8 as a whole-file error', async () => {
      const file = readFileSync(join(EDGE, 'csvlint-rb/invalid-byte-sequence.csv'));
      const { fatal, rows } = await readAll(streamOf(file));
      expect(rows).toEqual([]);
      expect(fatal).toMatchObject({ code: 'INVALID_UTF8', line: 1 });
    });

    it('refuses UTF-16 with a byte-order mark as an unsupported encoding', async () => {
      for (const file of ['test_utf16_little.csv', 'test_utf16_big.csv']) {
        const { fatal } = await readAll(
          streamOf(readFileSync(join(EDGE, 'csvkit-examples', file))),
        );
        expect(fatal?.code).toBe('UNSUPPORTED_ENCODING');
      }
    });
  });

  describe('structural problems', () => {
    it('fails an empty file, whatever it holds besides nothing', async () => {
      for (const content of ['', '\ufeff', '\n\n\r\n', '\ufeff\r\n']) {
        expect((await read(content)).fatal?.code).toBe('EMPTY_FILE');
      }
      const fixture = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvkit-examples/empty.csv'))),
      );
      expect(fixture.fatal?.code).toBe('EMPTY_FILE');
    });

    it('fails a file with a header but no data rows', async () => {
      for (const content of ['a,b', 'a,b\n', 'a,b\r\n\r\n', 'a,b\n,\n']) {
        expect((await read(content)).fatal?.code).toBe('NO_DATA_ROWS');
      }
    });

    it('reports a row with the wrong number of cells and reads on', async () => {
      const { values, rowErrors, fatal } = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvkit-examples/bad.csv'))),
      );
      expect(fatal).toBeUndefined();
      expect(rowErrors).toMatchObject([
        { code: 'COLUMN_COUNT', row: 1, line: 2 },
        { code: 'COLUMN_COUNT', row: 2, line: 3 },
      ]);
      expect(rowErrors[0].message).toMatch(/4 cells; the header has 3/);
      expect(values).toEqual([
        { column_a: '0', column_b: 'mixed types.... uh oh', column_c: '17' },
      ]);
    });

    it('skips rows whose cells are all empty, as spreadsheets export them', async () => {
      const { rows } = await read('a,b\n1,2\n,\n3,4\n');
      expect(rows.map((r) => r.row)).toEqual([1, 3]);
    });

    it('fails on an unterminated quote, naming the row where it opens', async () => {
      const { fatal } = await read('a,b\n1,2\n3,"never closed\n5,6\n7,8\n');
      expect(fatal).toMatchObject({ code: 'UNTERMINATED_QUOTE', row: 2, line: 3 });
    });

    it('agrees with csv-parse on where quoted fields end, on random input', async () => {
      // CsvByteGuard tracks quoting on its own (to bound record sizes); if it disagreed with
      // the parser, good files would be refused as unterminated or bad ones let through.
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      const alphabet = ['a', ',', '"', '"', '\n', '\r', '\r\n', ' '];
      const outcomes = { unclosed: 0, closed: 0 };
      for (let n = 0; n < 2000; n++) {
        let text = 'h1,h2\n';
        for (let i = 0, len = 1 + Math.floor(random() * 30); i < len; i++) {
          text += alphabet[Math.floor(random() * alphabet.length)];
        }
        let parserSaysUnclosed = false;
        try {
          parse(text, {
            relax_quotes: true,
            relax_column_count: true,
            record_delimiter: ['\r\n', '\n', '\r'],
          });
        } catch (err) {
          parserSaysUnclosed = (err as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED';
        }
        const { fatal } = await read(text, undefined, 1 + Math.floor(random() * 8));
        expect([text, fatal?.code === 'UNTERMINATED_QUOTE']).toEqual([text, parserSaysUnclosed]);
        outcomes[parserSaysUnclosed ? 'unclosed' : 'closed']++;
      }
      expect(outcomes.unclosed).toBeGreaterThan(200);
      expect(outcomes.closed).toBeGreaterThan(200);
    });

    it('keeps a quote that does not start a field as text', async () => {
      const { values, fatal } = await read('a,b\n1,5" pipe\n"2"x,"3"\n4,"5""6"\n');
      expect(fatal).toBeUndefined();
      expect(values).toEqual([
        { a: '1', b: '5" pipe' },
        { a: '"2"x', b: '3' },
        { a: '4', b: '5"6' },
      ]);
    });

    it('fails on NUL bytes as a binary file', async () => {
      const nul = await readAll(
        streamOf(readFileSync(join(EDGE, 'csvkit-examples/null_byte.csv'))),
      );
      expect(nul.fatal).toMatchObject({ code: 'BINARY', row: 1 });
      const png = Buffer.from(
        '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489',
        'hex',
      );
      expect((await read(png)).fatal?.code).toBe('BINARY');
      const utf16WithoutBom = Buffer.from('a,b\n1,2\n', 'utf16le');
      expect((await read(utf16WithoutBom)).fatal?.code).toBe('BINARY');
    });

    it('fails a record longer than maxLineBytes, quoted line breaks or not', async () => {
      const long = 'x'.repeat(200);
      const plain = await read(`a,b\n1,2\n3,${long}\n`, { maxLineBytes: 100 });
      expect(plain.fatal).toMatchObject({ code: 'LINE_TOO_LONG', row: 2, line: 3 });
      const multiline = await read(`a,b\n1,"${'x\n'.repeat(100)}"\n`, { maxLineBytes: 100 });
      expect(multiline.fatal).toMatchObject({ code: 'LINE_TOO_LONG', row: 1, line: 2 });
      const header = await read(`${long}\n1\n`, { maxLineBytes: 100 });
      expect(header.fatal).toMatchObject({ code: 'LINE_TOO_LONG', line: 1 });
      // Delimiters count: a line of nothing but commas is long too.
      const commas = await read(`a,b\n${','.repeat(500)}\n`, { maxLineBytes: 100 });
      expect(commas.fatal?.code).toBe('LINE_TOO_LONG');
      expect(
        (await read(`a,b\n1,${'y'.repeat(95)}\n`, { maxLineBytes: 100 })).fatal,
      ).toBeUndefined();
    });

    it('stops reading an endless line soon after the limit instead of buffering it', async () => {
      let produced = 0;
      const endless = new Readable({
        read() {
          produced += 16 * 1024;
          this.push(Buffer.alloc(16 * 1024, 'x'));
        },
      });
      const { fatal } = await readAll(endless, { maxLineBytes: 64 * 1024 });
      expect(fatal?.code).toBe('LINE_TOO_LONG');
      expect(produced).toBeLessThan(1024 * 1024);
      expect(endless.destroyed).toBe(true);
    });

    it('fails when the file has more than maxRows data rows', async () => {
      const { fatal, values } = await read('a\n1\n2\n3\n', { maxRows: 2 });
      expect(fatal).toMatchObject({ code: 'TOO_MANY_ROWS', row: 3 });
      expect(values.length).toBeLessThanOrEqual(2);
      expect((await read('a\n1\n2\n', { maxRows: 2 })).fatal).toBeUndefined();
    });

    it('refuses a delimiter that cannot work, and closes the input', async () => {
      for (const delimiter of ['"', 'a', '1', ' ', '\n', ',,', '', '§']) {
        const input = streamOf('a,b\n1,2\n');
        expect((await readAll(input, { delimiter })).fatal?.code).toBe('INVALID_DELIMITER');
        expect(input.destroyed).toBe(true);
      }
    });

    it('passes an I/O error of the input through unchanged, not as a format error', async () => {
      const failing = new Readable({
        read() {
          this.destroy(new Error('disk gone'));
        },
      });
      await expect(readAll(failing)).rejects.toThrow('disk gone');
    });
  });

  describe('header and column mapping', () => {
    const required = ['external_id', 'amount'];

    it('reads a semicolon or tab separated file with the matching delimiter', async () => {
      expect(
        (await read('external_id;amount\nA;1.5\n', { delimiter: ';', requiredColumns: required }))
          .values,
      ).toEqual([{ external_id: 'A', amount: '1.5' }]);
      const tsv = await readAll(streamOf(readFileSync(join(EDGE, 'csvkit-examples/dummy.tsv'))), {
        delimiter: '\t',
      });
      expect(tsv.values).toEqual([{ a: '1', b: '2', c: '3' }]);
    });

    it('explains a wrong delimiter as missing columns, and names the likely delimiter', async () => {
      const { fatal } = await read('external_id;amount\nA;1.5\n', { requiredColumns: required });
      expect(fatal).toMatchObject({ code: 'MISSING_COLUMN', line: 1 });
      expect(fatal?.message).toMatch(/"external_id", "amount"/);
      expect(fatal?.message).toMatch(/";": is that the delimiter\?/);
    });

    it('maps headers to dataset columns, trims them, and ignores unnamed columns', async () => {
      const { values } = await read(' Buchungs-ID , Betrag ,,note\nA,1.5,junk,n\n', {
        columnMapping: { 'Buchungs-ID': 'external_id', Betrag: 'amount' },
        requiredColumns: required,
      });
      expect(values).toEqual([{ external_id: 'A', amount: '1.5', note: 'n' }]);
    });

    it('names the mapping when a mapped column is missing', async () => {
      const { fatal } = await read('id,Betrag\nA,1\n', {
        columnMapping: { 'Buchungs-ID': 'external_id', Betrag: 'amount' },
        requiredColumns: required,
      });
      expect(fatal).toMatchObject({ code: 'MISSING_COLUMN', column: 'external_id' });
      expect(fatal?.message).toMatch(/"external_id" \(mapped from "Buchungs-ID"\)/);
    });

    it('fails on duplicate columns, in the file or created by the mapping', async () => {
      expect((await read('a,b,a\n1,2,3\n')).fatal).toMatchObject({
        code: 'DUPLICATE_COLUMN',
        column: 'a',
      });
      const mapped = await read('amount,Betrag\n1,2\n', { columnMapping: { Betrag: 'amount' } });
      expect(mapped.fatal).toMatchObject({ code: 'DUPLICATE_COLUMN', column: 'amount' });
      expect(mapped.fatal?.message).toMatch(/from "amount" and "Betrag"/);
    });

    it('keeps hostile header names as plain keys', async () => {
      const { values } = await read('__proto__,constructor\n{"x":1},2\n');
      expect(Object.keys(values[0])).toEqual(['__proto__', 'constructor']);
      expect(values[0]['__proto__']).toBe('{"x":1}');
    });
  });

  describe('streaming', () => {
    /** An endless CSV produced on demand, counting the bytes handed out. */
    function endlessCsv() {
      const source = { produced: 0, stream: undefined as unknown as Readable };
      let n = 0;
      source.stream = new Readable({
        read() {
          let chunk = n === 0 ? 'id,amount\n' : '';
          for (let i = 0; i < 100; i++) chunk += `${++n},${n}.5\n`;
          source.produced += chunk.length;
          this.push(chunk);
        },
      });
      return source;
    }

    it('pulls only what the consumer reads, and closes the source when it stops early', async () => {
      const source = endlessCsv();
      const seen: number[] = [];
      for await (const row of readCsvRows(source.stream)) {
        seen.push(row.row);
        if (seen.length === 10) break;
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(source.produced).toBeLessThan(2 * 1024 * 1024);
      await new Promise((resolve) => setImmediate(resolve));
      expect(source.stream.destroyed).toBe(true);
    });

    it('keeps memory flat over a million rows', async () => {
      const source = endlessCsv();
      global.gc?.();
      const before = process.memoryUsage().heapUsed;
      let peak = before;
      let count = 0;
      for await (const _row of readCsvRows(source.stream)) {
        if (++count % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        if (count === 1_000_000) break;
      }
      expect(source.produced).toBeGreaterThan(15 * 1024 * 1024);
      // Reading the whole input into memory would take far more than this.
      expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    });
  });
});
