import { IncomingMessage, ServerResponse } from 'node:http';
import { Client } from 'pg';
import { appClock } from '../src/common/util/clock';
import { fixture } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { servePriceFiles, SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { expectProblem, settled as uploadSettled, upload } from './utils/uploads';
import { waitFor } from './utils/wait-for';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
type View = Record<string, any>;

const SPY_2010 = fixture('prices', 'spy-2010-yahoofinance.csv').toString('utf8');
const EWG = fixture('prices', 'EWG-1d-no-bad-divs.csv').toString('utf8');
const VWCE = fixture('prices', 'VWCE_DE_daily_prices.csv').toString('utf8');

/** The fixture without the rows of `dates` (a source with gaps). */
function without(csv: string, dates: string[]): string {
  return csv
    .split('\n')
    .filter((line) => !dates.some((d) => line.startsWith(d)))
    .join('\n');
}

/** The fixture with `edit` applied to the cells of the rows whose date passes `when`. */
function editRows(
  csv: string,
  when: (date: string) => boolean,
  edit: (cells: Record<string, string>) => void,
): string {
  const [header, ...lines] = csv.split('\n');
  const names = header.split(',');
  return [
    header,
    ...lines.map((line) => {
      if (!line || !when(line.slice(0, 10))) return line;
      const values = line.split(',');
      const cells = Object.fromEntries(names.map((n, i) => [n, values[i]]));
      edit(cells);
      return names.map((n) => cells[n]).join(',');
    }),
  ].join('\n');
}

const ETFS = {
  SPY: { isin: 'US78462F1030', currency: 'USD', quoteUnit: 'USD', exchange: 'XNYS' },
  EWG: { isin: 'US4642868065', currency: 'USD', quoteUnit: 'USD', exchange: 'XNYS' },
  'VWCE.DE': { isin: 'IE00BK5BQT80', currency: 'EUR', quoteUnit: 'EUR', exchange: 'XETR' },
} as const;

/**
 * ETF prices end to end: the ETFs API, updates against a local price server serving real
 * price files (SPY 2010 on NYSE, EWG 2022-2024 on NYSE, VWCE on Xetra), missing days,
 * repair, quality flags, bad sources, one active update per range, operator closures.
 */
describe('ETF prices', () => {
  const files = new Map<string, string>();
  let handler: Handler | null = null;
  let source: SourceServer;
  let env: Record<string, string>;
  let api: TestApp;
  let db: Client;
  let admin: string;
  let user: string;
  const realNow = appClock.now;

  const defaultHandler: Handler = servePriceFiles(files);

  const as = (token: string) => ({
    get: (path: string) => api.http.get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      api.http.post(path).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      api.http.patch(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => api.http.delete(path).set('Authorization', `Bearer ${token}`),
  });
  const startUpdate = async (symbol: string, body: object) => {
    const res = await as(admin).post(`/api/v1/etfs/${symbol}/updates`, body);
    if (res.status !== 202) throw new Error(`POST updates answered ${res.status}: ${res.text}`);
    return res.body as View;
  };
  const ended = (id: string, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const res = await as(admin).get(`/api/v1/jobs/${id}`);
        return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(res.body.status)
          ? (res.body as View)
          : undefined;
      },
      { timeoutMs, what: `job ${id} to end` },
    );
  const update = async (symbol: string, body: object) =>
    ended((await startUpdate(symbol, body)).id);
  const barCount = async (symbol: string) =>
    Number(
      (await db.query('SELECT count(*) FROM etf_prices WHERE etf_id = $1', [symbol])).rows[0].count,
    );

  beforeAll(async () => {
    source = await SourceServer.start((req, res) => (handler ?? defaultHandler)(req, res));
    env = isolatedEnv({
      ETF_PRICES_URL: source.pricesUrl,
      ETF_PRICES_TIMEOUT_MS: '500',
      BACKOFF_BASE_MS: '20',
      BACKOFF_MAX_MS: '100',
    });
    api = await startTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    admin = await api.token({ sub: 'ops', tenant: null, roles: ['admin'] });
    user = await api.token({ sub: 'alice', tenant: 'acme' });
    for (const [symbol, etf] of Object.entries(ETFS)) {
      const res = await as(admin).post('/api/v1/etfs', { symbol, name: `${symbol} ETF`, ...etf });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    appClock.now = realNow;
    await db?.end();
    await api?.close();
    await source?.close();
    if (env) await cleanupEnv(env);
  });
  beforeEach(() => {
    source.requests.length = 0;
    handler = null;
    files.clear();
    appClock.now = realNow;
  });

  describe('the ETFs API', () => {
    it('lists and shows ETFs to any caller, symbols case-insensitive', async () => {
      const list = await as(user).get('/api/v1/etfs');
      expect(list.status).toBe(200);
      expect(list.body.items.map((e: View) => e.symbol)).toEqual(['EWG', 'SPY', 'VWCE.DE']);
      const one = await as(user).get('/api/v1/etfs/vwce.de');
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ symbol: 'VWCE.DE', isin: 'IE00BK5BQT80', exchange: 'XETR' });
      expectProblem(await as(user).get('/api/v1/etfs/NOPE'), 404);
    });

    it('refuses a wrong ISIN check digit, an unknown exchange and pence for dollars, naming the field', async () => {
      const base = { symbol: 'VUSA.L', name: 'Vanguard S&P 500', active: true };
      const bad = await as(admin).post('/api/v1/etfs', {
        ...base,
        isin: 'IE00B3XXRP08', // VUSA's is IE00B3XXRP09
        currency: 'GBP',
        quoteUnit: 'GBX',
        exchange: 'XLON',
      });
      expect(expectProblem(bad, 400).errors).toEqual([
        expect.objectContaining({ field: 'isin', message: expect.stringMatching(/check digit/) }),
      ]);
      const mic = await as(admin).post('/api/v1/etfs', {
        ...base,
        isin: 'IE00B3XXRP09',
        currency: 'GBP',
        quoteUnit: 'GBX',
        exchange: 'XNAS',
      });
      expect(expectProblem(mic, 400).errors![0].field).toBe('exchange');
      const unit = await as(admin).post('/api/v1/etfs', {
        ...base,
        isin: 'IE00B3XXRP09',
        currency: 'USD',
        quoteUnit: 'GBX',
        exchange: 'XLON',
      });
      expect(expectProblem(unit, 400).errors![0]).toMatchObject({ field: 'quoteUnit' });
      const ok = await as(admin).post('/api/v1/etfs', {
        ...base,
        isin: 'IE00B3XXRP09',
        currency: 'GBP',
        quoteUnit: 'GBp',
        exchange: 'XLON',
      });
      expect(ok.status).toBe(201);
      expect(ok.body.quoteUnit).toBe('GBX');
      expectProblem(
        await as(admin).post('/api/v1/etfs', {
          ...base,
          isin: 'IE00B3XXRP09',
          currency: 'GBP',
          quoteUnit: 'GBP',
          exchange: 'XLON',
        }),
        409,
      );
    });

    it('lets only admins add or change ETFs', async () => {
      const body = { symbol: 'X1', isin: 'US78462F1030', name: 'x', currency: 'USD' };
      expectProblem(
        await as(user).post('/api/v1/etfs', { ...body, quoteUnit: 'USD', exchange: 'XNYS' }),
        403,
      );
      expectProblem(await as(user).patch('/api/v1/etfs/SPY', { active: false }), 403);
      const renamed = await as(admin).patch('/api/v1/etfs/spy', { name: 'SPDR S&P 500' });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ symbol: 'SPY', name: 'SPDR S&P 500', active: true });
    });
  });

  describe('updates', () => {
    it('backfills a year from a newest-first file: every NYSE session, exact decimals, nothing missing', async () => {
      files.set('SPY', SPY_2010);
      const job = await update('SPY', { type: 'backfill', from: '2010-01-01', to: '2010-12-31' });
      expect(job).toMatchObject({
        type: 'etf-update',
        status: 'COMPLETED',
        etfId: 'SPY',
        updateType: 'backfill',
        startDate: '2010-01-01',
        endDate: '2010-12-31',
        missingDates: [],
        counts: { fetched: 252, inserted: 252, updated: 0, unchanged: 0, flagged: 0 },
      });
      expect(source.requests).toEqual(['/prices/SPY.csv?from=2010-01-01&to=2010-12-31']);
      const prices = await as(user).get('/api/v1/etfs/SPY/prices?from=2010-12-23&to=2010-12-31');
      expect(prices.status).toBe(200);
      expect(prices.body.missingDates).toEqual([]);
      // 24 Dec 2010 (Christmas observed) is not a session: not there, not missing.
      expect(prices.body.items.map((b: View) => b.date)).toEqual([
        '2010-12-23',
        '2010-12-27',
        '2010-12-28',
        '2010-12-29',
        '2010-12-30',
        '2010-12-31',
      ]);
      expect(prices.body.items[5]).toEqual({
        date: '2010-12-31',
        open: '125.53',
        high: '125.87',
        low: '125.33',
        close: '125.75',
        adjClose: '121.35',
        volume: '91218900',
        flags: [],
      });

      // The same file again changes nothing, and says so.
      const again = await update('SPY', { type: 'backfill', from: '2010-01-01', to: '2010-12-31' });
      expect(again.counts).toEqual({
        fetched: 252,
        inserted: 0,
        updated: 0,
        unchanged: 252,
        flagged: 0,
      });
      const listed = await as(admin).get('/api/v1/jobs?type=etf-update');
      expect(listed.body.items.map((j: View) => j.id)).toEqual(
        expect.arrayContaining([job.id, again.id]),
      );
    });

    it('says which trading days have no price, and a repair fetches only those', async () => {
      const gaps = ['2022-03-08', '2022-03-15', '2022-03-16'];
      files.set('EWG', without(EWG, gaps));
      const job = await update('EWG', { type: 'backfill', from: '2022-03-01', to: '2022-03-31' });
      expect(job.status).toBe('COMPLETED');
      expect(job.missingDates).toEqual(gaps);
      expect(job.counts).toMatchObject({ fetched: 20, inserted: 20 });
      expect(job.notes).toMatch(/3 trading day\(s\) without a price: 2022-03-08/);
      const prices = await as(user).get('/api/v1/etfs/EWG/prices?from=2022-03-01&to=2022-03-31');
      expect(prices.body.missingDates).toEqual(gaps);
      expect(prices.body.items).toHaveLength(20);

      files.set('EWG', EWG);
      source.requests.length = 0;
      const repair = await update('EWG', { type: 'repair', from: '2022-03-01', to: '2022-03-31' });
      expect(repair).toMatchObject({ status: 'COMPLETED', missingDates: [] });
      expect(repair.counts).toEqual({
        fetched: 3,
        inserted: 3,
        updated: 0,
        unchanged: 0,
        flagged: 0,
      });
      expect(source.requests).toEqual(['/prices/EWG.csv?from=2022-03-08&to=2022-03-16']);

      const nothing = await update('EWG', { type: 'repair', from: '2022-03-01', to: '2022-03-31' });
      expect(nothing).toMatchObject({ status: 'COMPLETED', counts: { fetched: 0 } });
      expect(nothing.notes).toMatch(/nothing to repair/);
    });

    it('flags bad bars, stores them flagged, counts them, and a repair re-fetches them', async () => {
      const pence = (d: string) => d >= '2024-01-08' && d <= '2024-01-19';
      let csv = editRows(VWCE, pence, (c) => {
        for (const k of ['Open', 'High', 'Low', 'Close']) c[k] = String(Number(c[k]) * 100);
      });
      // A bar on Christmas Day, when Xetra is closed.
      csv += '2023-12-25,100.5,101,100,100.5,10\n';
      files.set('VWCE.DE', csv);
      const job = await update('VWCE.DE', {
        type: 'backfill',
        from: '2023-11-01',
        to: '2024-02-29',
      });
      expect(job.status).toBe('COMPLETED');
      const prices = await as(user).get(
        '/api/v1/etfs/VWCE.DE/prices?from=2023-11-01&to=2024-02-29',
      );
      const flagged = Object.fromEntries(
        prices.body.items.filter((b: View) => b.flags.length).map((b: View) => [b.date, b.flags]),
      );
      const block = prices.body.items.filter((b: View) => pence(b.date)).map((b: View) => b.date);
      expect(block).toHaveLength(10);
      expect(flagged).toEqual({
        '2023-12-04': ['flat_zero_volume'],
        '2023-12-05': ['flat_zero_volume'],
        '2023-12-06': ['flat_zero_volume'],
        '2023-12-25': ['closed_day'],
        ...Object.fromEntries(block.map((d: string) => [d, ['jump_100x']])),
      });
      expect(job.counts.flagged).toBe(14);
      expect(job.notes).toMatch(/14 bar\(s\) flagged/);

      // The provider corrects its file: a repair re-fetches the flagged days only.
      files.set('VWCE.DE', VWCE);
      source.requests.length = 0;
      const repair = await update('VWCE.DE', {
        type: 'repair',
        from: '2024-01-01',
        to: '2024-01-31',
      });
      expect(repair.counts).toMatchObject({ fetched: 10, updated: 10, flagged: 0 });
      expect(source.requests).toEqual(['/prices/VWCE.DE.csv?from=2024-01-08&to=2024-01-19']);
    });

    it('fails a bad source clearly after its retries and writes nothing half-parsed', async () => {
      const before = await barCount('EWG');
      files.set('EWG', '<!DOCTYPE html><html><body>Rate limited</body></html>');
      const html = await update('EWG', { type: 'backfill', from: '2023-01-01', to: '2023-06-30' });
      expect(html.status).toBe('FAILED');
      expect(html.attempts).toBe(5);
      expect(html.errorMessage).toMatch(/html|not .*csv/i);

      // A file cut in the middle of a row.
      const cut = EWG.slice(0, EWG.indexOf('2023-03-01') + 25);
      files.set('EWG', cut);
      const truncated = await update('EWG', {
        type: 'backfill',
        from: '2023-01-01',
        to: '2023-03-31',
      });
      expect(truncated.status).toBe('FAILED');
      expect(truncated.errorMessage).toMatch(/truncat|line \d+/i);

      let calls = 0;
      handler = (req, res) => {
        calls += 1;
        if (calls < 3) return void res.writeHead(503).end('busy');
        files.set('EWG', EWG);
        defaultHandler(req, res);
      };
      const recovered = await update('EWG', {
        type: 'backfill',
        from: '2023-01-01',
        to: '2023-01-31',
      });
      expect(recovered).toMatchObject({ status: 'COMPLETED', attempts: 3 });
      expect(recovered.attemptHistory[0].errorMessage).toMatch(/503/);
      expect(await barCount('EWG')).toBe(before + recovered.counts.inserted);
    });

    it('returns the active update of the same ETF and range instead of starting another', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      handler = (req, res) => void held.then(() => defaultHandler(req, res));
      files.set('SPY', SPY_2010);
      const range = { type: 'backfill', from: '2010-03-01', to: '2010-03-31' };
      const first = await startUpdate('SPY', range);
      const second = await startUpdate('SPY', range);
      expect(second.id).toBe(first.id);
      const other = await startUpdate('SPY', { ...range, type: 'repair' });
      expect(other.id).not.toBe(first.id);
      release();
      expect((await ended(first.id)).status).toBe('COMPLETED');
      await ended(other.id);
      const third = await startUpdate('SPY', range);
      expect(third.id).not.toBe(first.id);
      await ended(third.id);
    });

    it("defaults a daily update to the exchange's last closed session", async () => {
      files.set('SPY', 'Date,Open,High,Low,Close,Volume\n');
      // Thursday 9 January 2025, 10:00 in New York: the NYSE is closed (President Carter).
      appClock.now = () => new Date('2025-01-09T15:00:00Z');
      const a = await startUpdate('SPY', { type: 'daily' });
      expect(a).toMatchObject({ startDate: '2025-01-08', endDate: '2025-01-08' });
      // Friday 10 January, 17:00 in New York: that day's session has closed.
      appClock.now = () => new Date('2025-01-10T22:00:00Z');
      const b = await startUpdate('SPY', { type: 'daily' });
      expect(b).toMatchObject({ startDate: '2025-01-10', endDate: '2025-01-10' });
      const done = await ended(b.id);
      expect(done).toMatchObject({ status: 'COMPLETED', missingDates: ['2025-01-10'] });
      await ended(a.id);
      const future = await as(admin).post('/api/v1/etfs/SPY/updates', {
        type: 'backfill',
        from: '2025-01-01',
        to: '2025-01-11',
      });
      expect(expectProblem(future, 400).errors![0]).toMatchObject({ field: 'to' });
      expectProblem(await as(user).post('/api/v1/etfs/SPY/updates', { type: 'daily' }), 403);
      expectProblem(await as(admin).post('/api/v1/etfs/SPY/updates', { type: 'weekly' }), 400);
    });
  });

  describe('exchange calendars', () => {
    it('shows closures and early closes, and takes an operator closure without a release', async () => {
      const week = await as(user).get(
        '/api/v1/exchange-calendars/XNYS?from=2025-01-08&to=2025-01-09',
      );
      expect(week.status).toBe(200);
      expect(week.body.days).toEqual([
        { date: '2025-01-08', open: true, close: '16:00', earlyClose: false },
        expect.objectContaining({ date: '2025-01-09', open: false, reason: 'closure' }),
      ]);
      const eve = await as(user).get(
        '/api/v1/exchange-calendars/XNYS?from=2024-12-24&to=2024-12-24',
      );
      expect(eve.body.days[0]).toMatchObject({ open: true, close: '13:00', earlyClose: true });

      // EWG's gap of 2022-03-08 was filled above; say 2022-03-07 was a closure.
      expectProblem(
        await as(user).post('/api/v1/exchange-calendars/XNYS/closures', {
          date: '2022-03-07',
          name: 'x',
        }),
        403,
      );
      const weekend = await as(admin).post('/api/v1/exchange-calendars/XNYS/closures', {
        date: '2022-03-05',
        name: 'Saturday',
      });
      expectProblem(weekend, 409);
      files.set('EWG', without(EWG, ['2022-04-04']));
      const gap = await update('EWG', { type: 'backfill', from: '2022-04-01', to: '2022-04-08' });
      expect(gap.missingDates).toEqual(['2022-04-04']);
      const added = await as(admin).post('/api/v1/exchange-calendars/xnys/closures', {
        date: '2022-04-04',
        name: 'Exchange outage',
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ mic: 'XNYS', date: '2022-04-04', createdBy: 'ops' });
      const prices = await as(user).get('/api/v1/etfs/EWG/prices?from=2022-04-01&to=2022-04-08');
      expect(prices.body.missingDates).toEqual([]);
      const day = await as(user).get(
        '/api/v1/exchange-calendars/XNYS?from=2022-04-04&to=2022-04-04',
      );
      expect(day.body.days[0]).toEqual({
        date: '2022-04-04',
        open: false,
        reason: 'operator_closure',
        name: 'Exchange outage',
      });
      expectProblem(
        await as(admin).post('/api/v1/exchange-calendars/XNYS/closures', {
          date: '2022-04-04',
          name: 'again',
        }),
        409,
      );
      const listed = await as(user).get('/api/v1/exchange-calendars/XNYS/closures');
      expect(listed.body.items).toHaveLength(1);
      expect(
        (await as(admin).delete('/api/v1/exchange-calendars/XNYS/closures/2022-04-04')).status,
      ).toBe(204);
      expectProblem(
        await as(admin).delete('/api/v1/exchange-calendars/XNYS/closures/2022-04-04'),
        404,
      );
      expectProblem(
        await as(user).get('/api/v1/exchange-calendars/XNAS?from=2022-04-04&to=2022-04-04'),
        404,
      );
    });
  });

  it('takes bars uploaded as the etf-prices dataset (admins only), unchecked', async () => {
    const csv =
      'etf_id,price_date,open,high,low,close,adj_close,volume,source\n' +
      'SPY,2011-01-03,126.71,127.6,125.7,127.05,,138725200,vendor-x\n' +
      'SPY,2011-01-04,-1,127.37,126.19,126.98,,137409700,vendor-x\n';
    const id = await upload(api, admin, csv, { dataset: 'etf-prices', filename: 'spy.csv' });
    const done = await uploadSettled(api, admin, id);
    expect(done.status).toBe('COMPLETED');
    const prices = await as(user).get('/api/v1/etfs/SPY/prices?from=2011-01-03&to=2011-01-04');
    expect(prices.body.items).toEqual([
      expect.objectContaining({ date: '2011-01-03', close: '127.05', flags: null }),
    ]);
  });
});
