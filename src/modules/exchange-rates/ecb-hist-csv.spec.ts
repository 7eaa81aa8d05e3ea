import { Readable } from 'node:stream';
import { strToU8, zipSync } from 'fflate';
import { fixture } from '../../../test/utils/fixtures';
import { type EcbDay, EcbFormatError } from './ecb-format';
import { readEcbHistCsv, readEcbHistZip } from './ecb-hist-csv';
import { readEcbXml } from './ecb-xml';

async function all<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function failure(gen: AsyncIterable<unknown>): Promise<EcbFormatError> {
  try {
    for await (const _ of gen) void _;
  } catch (err) {
    if (err instanceof EcbFormatError) return err;
    throw err;
  }
  throw new Error('expected an EcbFormatError');
}

/**
 * The shape of eurofxref-hist.csv, built from a real fixture: a header with every currency
 * (discontinued ones too), newest day first, N/A where a currency is not quoted, a comma
 * closing every line.
 */
function toHistCsv(days: EcbDay[], eol = '\n'): string {
  const currencies = ['USD', 'JPY', 'BGN', 'CYP', 'CZK'];
  for (const d of days)
    for (const c of Object.keys(d.rates)) if (!currencies.includes(c)) currencies.push(c);
  const lines = [`Date,${currencies.join(',')},`];
  for (const d of days)
    lines.push(`${d.date},${currencies.map((c) => d.rates[c] ?? 'N/A').join(',')},`);
  return lines.join(eol) + eol;
}

const zip = (csv: string, level: 0 | 9 = 9, name = 'eurofxref-hist.csv'): Uint8Array =>
  zipSync({ [name]: [strToU8(csv), { level }] });

let DAYS: EcbDay[];
let CSV: string;

beforeAll(async () => {
  DAYS = await all(
    readEcbXml(Readable.from([fixture('ecb', 'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml')])),
  );
  CSV = toHistCsv(DAYS);
});

describe('readEcbHistCsv', () => {
  it('reads the same days and rates as the XML (N/A = not quoted), in any chunking', async () => {
    expect(CSV).toContain(',N/A,'); // CYP, and HRK after 2022-12-30
    expect(await all(readEcbHistCsv(Readable.from([CSV])))).toEqual(DAYS);
    expect(await all(readEcbHistCsv(pieces(Buffer.from(CSV), 5)))).toEqual(DAYS);
    expect(await all(readEcbHistCsv(Readable.from([toHistCsv(DAYS, '\r\n')])))).toEqual(DAYS);
    expect(await all(readEcbHistCsv(Readable.from([CSV.trimEnd()])))).toEqual(DAYS); // no final newline
  });

  it('takes the header with spaces after commas and without the final comma', async () => {
    const csv = 'Date, USD, GBP\n2023-02-21, 1.0664, 0.87925\n';
    expect(await all(readEcbHistCsv(Readable.from([csv])))).toEqual([
      { date: '2023-02-21', rates: { USD: '1.0664', GBP: '0.87925' } },
    ]);
  });

  it.each([
    ['', 'empty'],
    ['Date,USD,\n', 'no_rates'],
    ['<!DOCTYPE html><html><body>Not found</body></html>\n', 'not_csv'],
    ['Datum,USD,\n2023-02-21,1.0664,\n', 'not_csv'],
    ['"Date","USD"\n"2023-02-21","1.0664"\n', 'not_csv'],
    ['Date,USD,usd,\n', 'bad_currency'],
    ['Date,USD,USD,\n', 'bad_structure'],
    ['Date,USD,GBP,\n2023-02-21,1.0664,\n', 'bad_structure'],
    ['Date,USD,GBP,\n2023-02-21,1.0664,0.87925,1.5,\n', 'bad_structure'],
    ['Date,USD,\n2023-02-21,N/A,\n', 'bad_structure'],
    ['Date,USD,\n21 February 2023,1.0664,\n', 'bad_date'],
    ['Date,USD,\n2023-02-30,1.0664,\n', 'bad_date'],
    ['Date,USD,\n2023-02-21,1.0664e0,\n', 'bad_rate'],
    ['Date,USD,\n2023-02-21,0,\n', 'bad_rate'],
    ['Date,USD,\n2023-02-21,1.0664,\n2023-02-20,1.07,\n2023-02-21,1.0664,\n', 'duplicate_day'],
  ])('%j → %s', async (csv, code) => {
    expect(await failure(readEcbHistCsv(Readable.from([Buffer.from(csv)])))).toMatchObject({
      code,
    });
  });
});

describe('readEcbHistZip', () => {
  it('inflates and reads the CSV as its bytes arrive, deflated or stored', async () => {
    const deflated = zip(CSV);
    expect(deflated.length).toBeLessThan(CSV.length / 2);
    expect(await all(readEcbHistZip(Readable.from([Buffer.from(deflated)])))).toEqual(DAYS);
    expect(await all(readEcbHistZip(pieces(deflated, 64)))).toEqual(DAYS);
    expect(await all(readEcbHistZip(pieces(zip(CSV, 0), 333)))).toEqual(DAYS);
  });

  it('skips other files in the ZIP', async () => {
    const bytes = zipSync({ 'README.txt': strToU8('hello'), 'eurofxref-hist.csv': strToU8(CSV) });
    expect(await all(readEcbHistZip(pieces(bytes, 4096)))).toEqual(DAYS);
  });

  it('a ZIP cut anywhere is truncated, after the days read before the cut', async () => {
    const bytes = zip(CSV);
    for (const cut of [
      10,
      40,
      100,
      Math.floor(bytes.length / 2),
      bytes.length - 200,
      bytes.length - 120,
      bytes.length - 1,
    ]) {
      const got: string[] = [];
      const err = await failure(
        (async function* () {
          for await (const day of readEcbHistZip(pieces(bytes.subarray(0, cut), 1000))) {
            got.push(day.date);
            yield day;
          }
        })(),
      );
      expect([cut, err.code]).toEqual([cut, 'truncated']);
      expect(got).toEqual(DAYS.slice(0, got.length).map((d) => d.date));
    }
  });

  it('a ZIP damaged anywhere: inflate error, bad CSV or checksum', async () => {
    const good = Buffer.from(zip(CSV));
    const stored = Buffer.from(zip(CSV, 0));
    for (const [bytes, at] of [
      [good, 200],
      [good, 1000],
      [good, good.length - 300],
      [stored, 3000],
    ] as const) {
      const damaged = Buffer.from(bytes);
      damaged[at] ^= 0x01; // one bit
      const err = await failure(readEcbHistZip(pieces(damaged, 64)));
      expect([
        at,
        ['damaged_zip', 'bad_structure', 'bad_rate', 'bad_date', 'bad_currency'].includes(err.code),
      ]).toEqual([at, true]);
    }
    // a digit changed in a stored (uncompressed) CSV is caught by the CRC alone
    const digit = Buffer.from(stored);
    const at = digit.indexOf('1.0664');
    digit[at + 5] = '5'.charCodeAt(0);
    expect(await failure(readEcbHistZip(pieces(digit, 64)))).toMatchObject({ code: 'damaged_zip' });
  });

  it('not a ZIP: an HTML page, a CSV, nothing', async () => {
    const html = await failure(
      readEcbHistZip(Readable.from([fixture('ecb', 'not-xml-html-response.xml')])),
    );
    expect(html.code).toBe('not_zip');
    expect((await failure(readEcbHistZip(Readable.from([Buffer.from(CSV)])))).code).toBe('not_zip');
    expect((await failure(readEcbHistZip(Readable.from([])))).code).toBe('empty');
  });

  it('a ZIP without a CSV, or with two', async () => {
    const none = zipSync({ 'eurofxref-hist.xml': strToU8('<x/>') });
    expect((await failure(readEcbHistZip(pieces(none, 4096)))).code).toBe('not_zip');
    const two = zipSync({ 'a.csv': strToU8(CSV), 'b.csv': strToU8(CSV) });
    expect((await failure(readEcbHistZip(pieces(two, 4096)))).code).toBe('bad_structure');
  });

  it('the CSV’s own errors come through', async () => {
    const bad = zip(CSV.replace('1.0664', '1,0664'));
    expect((await failure(readEcbHistZip(pieces(bad, 4096)))).code).toBe('bad_structure');
  });

  it('refuses more inflated bytes than allowed (a ZIP bomb)', async () => {
    const bomb = zip(CSV + 'x'.repeat(5_000_000));
    expect(bomb.length).toBeLessThan(100_000);
    const err = await failure(readEcbHistZip(pieces(bomb, 4096), { maxBytes: 1_000_000 }));
    expect(err.code).toBe('too_large');
  });

  it('streams: the first day comes before most of the ZIP is read', async () => {
    const rows = ['Date,USD,JPY,'];
    for (let i = 0; i < 6000; i += 1) {
      const date = new Date(Date.UTC(2030, 0, 1) - i * 86_400_000).toISOString().slice(0, 10);
      rows.push(`${date},1.${String(i).padStart(4, '0')},${100 + (i % 50)}.25,`);
    }
    const bytes = zip(rows.join('\n') + '\n');
    let read = 0;
    const source = (async function* () {
      for await (const p of pieces(bytes, 1024)) {
        read += p.length;
        yield p;
      }
    })();
    let readAtFirstDay = -1;
    let count = 0;
    for await (const _ of readEcbHistZip(source)) {
      if (count === 0) readAtFirstDay = read;
      count += 1;
    }
    expect(count).toBe(6000);
    expect(readAtFirstDay).toBeLessThan(bytes.length / 4);
  });
});
