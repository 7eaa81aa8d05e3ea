import { fixture } from '../../../test/utils/fixtures';
import { PriceFormatError, readPriceCsv, type PriceRange } from './price-csv';

const ALL: PriceRange = { from: '1990-01-01', to: '2099-12-31' };
const SPY_2010 = fixture('prices', 'spy-2010-yahoofinance.csv');
const EWG = fixture('prices', 'EWG-1d-no-bad-divs.csv');
const VWCE = fixture('prices', 'VWCE_DE_daily_prices.csv');

/** The body in pieces of `size` bytes (multi-byte characters cut in two on the way). */
async function* pieces(body: Buffer | string, size = 1 << 16): AsyncGenerator<Uint8Array> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const read = (body: Buffer | string, range = ALL, size?: number) =>
  readPriceCsv(pieces(body, size), range);

async function failure(body: Buffer | string, maxBytes?: number): Promise<PriceFormatError> {
  const err = await readPriceCsv(pieces(body), ALL, { maxBytes }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PriceFormatError);
  return err as PriceFormatError;
}

const HEAD = 'Date,Open,High,Low,Close,Volume\n';

describe('readPriceCsv: real files', () => {
  it('SPY 2010 (old Yahoo, newest first): every day, ascending, numbers canonical', async () => {
    const { bars, rowsRead, ignoredOutsideRange } = await read(SPY_2010);
    expect([rowsRead, ignoredOutsideRange, bars.length]).toEqual([252, 0, 252]);
    expect(bars[0]).toEqual({
      date: '2010-01-04',
      open: '112.37',
      high: '113.39',
      low: '111.51',
      close: '113.33',
      adjClose: '107.26',
      volume: '118944600',
    });
    // 2010-12-30,125.80,126.13,125.53,125.72,76616900,121.32
    expect(bars.find((b) => b.date === '2010-12-30')?.open).toBe('125.8');
    expect(bars[251].date).toBe('2010-12-31');
    expect(bars.every((b, i) => i === 0 || bars[i - 1].date < b.date)).toBe(true);
  });

  it('only the requested range is returned; the rest is counted', async () => {
    const { bars, rowsRead, ignoredOutsideRange } = await read(SPY_2010, {
      from: '2010-12-01',
      to: '2010-12-31',
    });
    expect(bars.map((b) => b.date).slice(0, 2)).toEqual(['2010-12-01', '2010-12-02']);
    expect([rowsRead, bars.length, ignoredOutsideRange]).toEqual([252, 22, 230]);
  });

  it('VWCE (no Adj Close): float noise kept digit for digit, in any chunking', async () => {
    const whole = await read(VWCE);
    expect(whole.bars).toHaveLength(1750);
    expect(whole.bars[0]).toEqual({
      date: '2019-07-29',
      open: '72.22000122070312',
      high: '72.22000122070312',
      low: '71.8499984741211',
      close: '71.8499984741211',
      adjClose: null,
      volume: '351',
    });
    expect(await read(VWCE, ALL, 7)).toEqual(whole);
  });

  it('EWG: Datetime with an offset gives the local date; extra columns are ignored', async () => {
    const { bars } = await read(EWG, { from: '2022-01-03', to: '2022-01-04' });
    expect(bars).toEqual([
      {
        date: '2022-01-03',
        open: '33.119998931884766',
        high: '33.189998626708984',
        low: '33', // written 33.0
        close: '33.15999984741211',
        adjClose: '30.576433181762695',
        volume: '1763100',
      },
      expect.objectContaining({ date: '2022-01-04', close: '33.2599983215332' }),
    ]);
    expect((await read(EWG)).bars.at(-1)?.date).toBe('2024-08-21');
  });
});

describe('readPriceCsv: the forms accepted', () => {
  it('columns in any order and case, quoted names, BOM, CRLF, blank lines, no final break', async () => {
    const body =
      '\uFEFF"volume",CLOSE,Note,adj close,LOW,high,open,DATETIME\r\n' +
      '1200.0,10.50,x,10.1,10.0,11,10.25,2024-03-01T00:00:00+01:00\r\n\r\n' +
      ',9.9,y,,9.5,10,9.75,2024-02-29 23:00:00Z';
    expect((await read(body)).bars).toEqual([
      {
        date: '2024-02-29',
        open: '9.75',
        high: '10',
        low: '9.5',
        close: '9.9',
        adjClose: null,
        volume: null,
      },
      {
        date: '2024-03-01',
        open: '10.25',
        high: '11',
        low: '10',
        close: '10.5',
        adjClose: '10.1',
        volume: '1200',
      },
    ]);
  });

  it('volume or Adj Close written null; zero prices kept (flagged later); a header alone', async () => {
    const body = 'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,0,0.00,000,0.0,null,NULL\n';
    expect((await read(body)).bars).toEqual([
      {
        date: '2024-01-02',
        open: '0',
        high: '0',
        low: '0',
        close: '0',
        adjClose: null,
        volume: null,
      },
    ]);
    expect(await read(HEAD)).toEqual({ bars: [], rowsRead: 0, ignoredOutsideRange: 0 });
  });

  it('refuses a range that is not one', async () => {
    await expect(read(HEAD, { from: '2024-02-01', to: '2024-01-01' })).rejects.toThrow(RangeError);
    await expect(read(HEAD, { from: '2024-02-30', to: '2024-03-01' })).rejects.toThrow(RangeError);
  });
});

describe('readPriceCsv: refusals, with the line at fault', () => {
  it.each([
    ['<!DOCTYPE html><html><body>Too many requests</body></html>\n', /an HTML page/],
    ['  <html>\n<body>x</body>', /an HTML page/],
    ['<?xml version="1.0"?><error/>', /markup or JSON/],
    ['{"error":"not found"}', /markup or JSON/],
    ['Service Unavailable\n', /not a price CSV: the first line is "Service Unavailable"/],
  ])('not a price CSV: %j', async (body, message) => {
    const err = await failure(body);
    expect([err.code, err.details.line]).toEqual(['not_csv', 1]);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['', 'empty', /empty/],
    ['\n\n', 'empty', /empty/],
    ['Date,Open,High,Low,Close\n', 'missing_column', /lacks Volume/],
    ['Datetime,Open,Low,Volume\n', 'missing_column', /lacks High, Close/],
    ['Date,Datetime,Open,High,Low,Close,Volume\n', 'bad_header', /Date twice/],
    ['Date,Open,High,Low,Close,Volume,open\n', 'bad_header', /Open twice/],
  ])('header %j: %s', async (body, code, message) => {
    const err = await failure(body);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['2024-01-02,1,2,1,2,5,6\n', 'bad_row', 2, /7 cells where the header has 6/],
    ['2024-01-02,1,2,1\n2024-01-03,1,2,1,2,5\n', 'bad_row', 2, /4 cells where the header has 6/],
    ['2024-01-02,1,2,1,2,5\n2024-01-03,1,2', 'truncated', 3, /cut short \(no line break/],
    ['2024-01-02,1,2,1,2,5\n2024-01-03,1,2\n\n', 'truncated', 3, /cut short$/],
    ['2024-01-02,1,2,1,2,5\r2024-01-03,1,2,1,2,5\n', 'bad_row', 2, /carriage return/],
    ['2024-02-30,1,2,1,2,5\n', 'bad_date', 2, /Date is not YYYY-MM-DD .*"2024-02-30"/],
    ['01/02/2024,1,2,1,2,5\n', 'bad_date', 2, /"01\/02\/2024"/],
    ['2024-01-02 00:00:00,1,2,1,2,5\n', 'bad_date', 2, /time-zone offset/],
    ['2024-01-02 24:00:00Z,1,2,1,2,5\n', 'bad_date', 2, /Date/],
    ['2024-01-02,NaN,2,1,2,5\n', 'bad_number', 2, /Open is not a finite number: "NaN"/],
    ['2024-01-02,1,Infinity,1,2,5\n', 'bad_number', 2, /High is not a finite number/],
    ['2024-01-02,1,2,-1,2,5\n', 'bad_number', 2, /Low is negative: "-1"/],
    ['2024-01-02,1,2,1,,5\n', 'bad_number', 2, /Close is empty/],
    ['2024-01-02,1,2,1,1e2,5\n', 'bad_number', 2, /Close uses exponent notation/],
    ['2024-01-02,1,2,1,2,5.5\n', 'bad_number', 2, /Volume is not a whole number: "5.5"/],
    ['2024-01-02,1,2,1,2,-5\n', 'bad_number', 2, /Volume is negative/],
    [
      '2024-01-02,1,2,1,"2",5\n2024-01-02,1,2,1,2,5\n',
      'duplicate_date',
      3,
      /2024-01-02 appears twice/,
    ],
  ])('row %j: %s at line %d', async (rows, code, line, message) => {
    const err = await failure(HEAD + rows);
    expect([err.code, err.details.line]).toEqual([code, line]);
    expect(err.message).toMatch(new RegExp(`^line ${line}: `));
    expect(err.message).toMatch(message);
  });

  it('names the cell at fault', async () => {
    const err = await failure(
      'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,1,2,x,5\n',
    );
    expect(err.details).toEqual({ line: 2, column: 'adjClose', value: 'x' });
  });

  it('a bad row after 1,700 good ones fails the whole file', async () => {
    const err = await failure(Buffer.concat([VWCE, Buffer.from('2026-06-19,1,2,1,2\n')]));
    expect([err.code, err.details.line]).toEqual(['truncated', 1752]);
  });

  it('bytes that are not UTF-8, a body ending inside a character, one too large', async () => {
    const latin1 = Buffer.concat([Buffer.from(HEAD), Buffer.from([0xe9, 0x0a])]);
    expect((await failure(latin1)).code).toBe('not_utf8');
    const cut = Buffer.concat([Buffer.from(HEAD), Buffer.from('€').subarray(0, 2)]);
    expect((await failure(cut)).code).toBe('truncated');
    const big = await failure(VWCE, 10_000);
    expect([big.code, big.message]).toEqual([
      'too_large',
      'the price CSV is larger than 10000 bytes',
    ]);
  });
});
