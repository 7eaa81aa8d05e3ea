import { createServer, type IncomingMessage, type ServerResponse, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { fixture } from '../../../test/utils/fixtures';
import type { AppConfig } from '../../config/app-config';
import { PriceFormatError } from './price-csv';
import { HttpCsvPricesSource, PricesSourceError } from './prices-source';

const FILES: Record<string, Buffer> = {
  'VWCE.DE': fixture('prices', 'VWCE_DE_daily_prices.csv'),
  SPY: fixture('prices', 'spy-2010-yahoofinance.csv'),
  EWG: fixture('prices', 'EWG-1d-no-bad-divs.csv'),
};
const HTML = '<!DOCTYPE html><html><body><h1>Rate limited</h1></body></html>\n';
const unexpected = (): never => {
  throw new Error('expected a failure');
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What each test symbol makes the server do. */
const ROUTES: Record<string, (res: ServerResponse) => unknown> = {
  HTML: (res) => res.writeHead(200, { 'content-type': 'text/html' }).end(HTML),
  DOWN: (res) => res.writeHead(503, 'Service Unavailable').end('try later'),
  NOPE: (res) => res.writeHead(404, 'Not Found').end(),
  BUSY: (res) => res.writeHead(429, 'Too Many Requests').end(),
  SLOW: async (res) => {
    await sleep(800); // answers after the 300 ms deadline
    res.writeHead(200).end(FILES.SPY);
  },
  DRIP: async (res) => {
    res.writeHead(200, { 'content-length': FILES.SPY.length });
    for (let at = 0; at < FILES.SPY.length && !res.destroyed; at += 1_000) {
      res.write(FILES.SPY.subarray(at, at + 1_000));
      await sleep(60); // 15 pieces: the body takes about 900 ms
    }
    res.end();
  },
  CUT: async (res) => {
    // Announces the whole file, sends 5,000 bytes (ending on a line break), then hangs up.
    const cut = FILES.SPY.subarray(0, FILES.SPY.lastIndexOf('\n', 5_000) + 1);
    res.writeHead(200, { 'content-length': FILES.SPY.length });
    res.write(cut);
    await sleep(50);
    res.socket?.destroy();
  },
};

describe('HttpCsvPricesSource', () => {
  let server: Server;
  let port: number;
  let source: HttpCsvPricesSource;
  const requested: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requested.push(req.url ?? '');
    const symbol = decodeURIComponent(/^\/prices\/([^/?]+)\.csv/.exec(req.url ?? '')?.[1] ?? '');
    if (ROUTES[symbol]) return ROUTES[symbol](res);
    const file = FILES[symbol];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/csv', 'content-length': file.length }).end(file);
  };
  const configured = (url: string, timeoutMs = 300) =>
    new HttpCsvPricesSource({
      env: { ETF_PRICES_URL: url, ETF_PRICES_TIMEOUT_MS: timeoutMs },
    } as unknown as AppConfig);

  beforeAll(async () => {
    server = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    source = configured(`http://127.0.0.1:${port}/prices/{symbol}.csv?from={from}&to={to}`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    requested.length = 0;
    source.maxBytes = 32 * 1024 * 1024;
  });

  const bars = (symbol: string, from = '2010-01-01', to = '2026-12-31', signal?: AbortSignal) =>
    source.bars(symbol, { from, to }, signal ?? new AbortController().signal);
  const failure = async (symbol: string) => {
    const err = await bars(symbol).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    return err as PricesSourceError;
  };

  it('a good file: the range asked for, in the URL and in the bars', async () => {
    const result = await bars('VWCE.DE', '2023-12-01', '2023-12-08');
    expect(requested).toEqual(['/prices/VWCE.DE.csv?from=2023-12-01&to=2023-12-08']);
    expect(result.bars.map((b) => [b.date, b.volume])).toEqual([
      ['2023-12-01', '127233'],
      ['2023-12-04', '0'],
      ['2023-12-05', '0'],
      ['2023-12-06', '0'],
      ['2023-12-07', '51490'],
      ['2023-12-08', '67461'],
    ]);
    expect([result.rowsRead, result.ignoredOutsideRange]).toEqual([1750, 1744]);
  });

  it('SPY, newest first in the file, comes back ascending', async () => {
    const { bars: spy } = await bars('SPY');
    expect(spy).toHaveLength(252);
    expect([spy[0].date, spy[251].date]).toEqual(['2010-01-04', '2010-12-31']);
    expect(spy[251]).toMatchObject({ close: '125.75', adjClose: '121.35', volume: '91218900' });
  });

  it('EWG with Datetime and a time-zone offset', async () => {
    const { bars: ewg } = await bars('EWG', '2024-08-01', '2024-08-31');
    expect(ewg[0]).toMatchObject({ date: '2024-08-01' });
    expect(ewg.at(-1)?.date).toBe('2024-08-21');
  });

  it('URL-encodes the symbol', async () => {
    await bars('A/B C&D').catch(() => undefined);
    expect(requested[0]).toMatch(/^\/prices\/A%2FB%20C%26D\.csv\?/);
  });

  it('an HTML page is a PriceFormatError (not_csv)', async () => {
    const err = await failure('HTML');
    expect(err).toBeInstanceOf(PriceFormatError);
    expect((err as unknown as PriceFormatError).code).toBe('not_csv');
  });

  it('503 and 429 are retryable, 404 is not', async () => {
    const down = await failure('DOWN');
    expect(down).toBeInstanceOf(PricesSourceError);
    expect(down.message).toBe(
      `http://127.0.0.1:${port}/prices/DOWN.csv?from=2010-01-01&to=2026-12-31 answered 503 Service Unavailable`,
    );
    expect([down.status, down.retryable]).toEqual([503, true]);
    expect([(await failure('BUSY')).status, (await failure('BUSY')).retryable]).toEqual([
      429,
      true,
    ]);
    const nope = await failure('NOPE');
    expect([nope.status, nope.retryable]).toEqual([404, false]);
  });

  it('no answer within ETF_PRICES_TIMEOUT_MS, and a body slower than it', async () => {
    for (const symbol of ['SLOW', 'DRIP']) {
      const err = await failure(symbol);
      expect(err).toBeInstanceOf(PricesSourceError);
      expect(err.message).toMatch(/^no answer from .* within 300 ms \(ETF_PRICES_TIMEOUT_MS\)$/);
      expect(err.retryable).toBe(true);
    }
  });

  it('a body shorter than its Content-Length is cut short, even on a line break', async () => {
    const err = await failure('CUT');
    expect(err).toBeInstanceOf(PricesSourceError);
    expect(err.message).toMatch(
      new RegExp(`was cut short after \\d+ of ${FILES.SPY.length} bytes`),
    );
    expect(err.retryable).toBe(true);
  });

  it('a body over the size cap is refused', async () => {
    source.maxBytes = 10_000;
    const err = await failure('VWCE.DE');
    expect(err).toBeInstanceOf(PricesSourceError);
    expect(err.message).toMatch(/larger than 10000 bytes: refused/);
  });

  it('a network failure is retryable and says why', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await configured(`http://127.0.0.1:${gone}/{symbol}`)
      .bars('SPY', { from: '2010-01-01', to: '2010-12-31' }, new AbortController().signal)
      .then(unexpected, (e: unknown) => e as PricesSourceError);
    expect(err).toBeInstanceOf(PricesSourceError);
    expect(err.message).toMatch(/could not be read: .*ECONNREFUSED/);
    expect(err.retryable).toBe(true);
  });

  it("the caller's abort throws its own reason", async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by ops');
    setTimeout(() => controller.abort(reason), 50);
    await expect(bars('SLOW', undefined, undefined, controller.signal)).rejects.toBe(reason);
  });

  it('hides credentials in the query string of messages', async () => {
    const keyed = configured(`http://127.0.0.1:${port}/prices/{symbol}.csv?api_token=s3cret&x=1`);
    const err = await keyed
      .bars('DOWN', { from: '2010-01-01', to: '2010-12-31' }, new AbortController().signal)
      .then(unexpected, (e: unknown) => e as PricesSourceError);
    expect(err.message).toContain('?api_token=***&x=1 answered 503');
    expect(err.url).not.toContain('s3cret');
  });
});
