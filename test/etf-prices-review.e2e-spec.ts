import { IncomingMessage, ServerResponse } from 'node:http';
import { Client } from 'pg';
import { appClock } from '../src/common/util/clock';
import { isinProblem } from '../src/modules/etf-prices/isin';
import { fixture } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { servePriceFiles, SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { expectProblem } from './utils/uploads';
import { waitFor } from './utils/wait-for';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
type View = Record<string, any>;

const VWCE = fixture('prices', 'VWCE_DE_daily_prices.csv').toString('utf8');

/** A valid ISIN of the 11 characters `body` (its check digit found by trying each). */
function isin(body: string): string {
  for (let d = 0; d <= 9; d += 1) if (isinProblem(`${body}${d}`) === null) return `${body}${d}`;
  throw new Error(`no check digit for ${body}`);
}

/** The fixture with the prices of the rows whose date passes `when` multiplied by 100. */
function inPence(csv: string, when: (date: string) => boolean): string {
  const [header, ...lines] = csv.split('\n');
  const names = header.split(',');
  return [
    header,
    ...lines.map((line) => {
      if (!line || !when(line.slice(0, 10))) return line;
      const values = line.split(',');
      for (const k of ['Open', 'High', 'Low', 'Close']) {
        const i = names.indexOf(k);
        values[i] = String(Number(values[i]) * 100);
      }
      return values.join(',');
    }),
  ].join('\n');
}

/**
 * ETF prices: what a review of #14 found wrong, each pinned by the test that failed before
 * its fix (500s on incomplete bodies, flags lost after a long pence block, a retry that
 * collides with the active twin, a bar of a session still trading, a daily slot run during
 * trading counted as having found its prices, a PATCH answered but never written).
 */
describe('ETF prices (review)', () => {
  const files = new Map<string, string>();
  let handler: Handler | null = null;
  let source: SourceServer;
  let env: Record<string, string>;
  let api: TestApp;
  let db: Client;
  let admin: string;
  const realNow = appClock.now;

  const defaultHandler: Handler = servePriceFiles(files);

  const as = (token: string) => ({
    get: (path: string) => api.http.get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      api.http.post(path).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      api.http.patch(path).set('Authorization', `Bearer ${token}`).send(body),
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
  /** The flags of the stored bars of [from, to], by date. */
  const flagsOf = async (symbol: string, from: string, to: string) => {
    const res = await as(admin).get(`/api/v1/etfs/${symbol}/prices?from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.items.map((b: View) => [b.date, b.flags])) as Record<
      string,
      string[] | null
    >;
  };

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
  });
  afterAll(async () => {
    appClock.now = realNow;
    await db?.end();
    await api?.close();
    await source?.close();
    if (env) await cleanupEnv(env);
  });
  beforeEach(() => {
    handler = null;
    files.clear();
    appClock.now = realNow;
  });

  it('answers 400 naming the field, not 500, for an ETF without a required field or with a null one', async () => {
    const full = {
      symbol: 'IWDA.L',
      isin: isin('IE00B4L5Y98'),
      name: 'iShares Core MSCI World',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XLON',
    };
    for (const field of ['isin', 'name', 'currency', 'quoteUnit', 'exchange', 'symbol'] as const) {
      const { [field]: _left, ...body } = full;
      const res = await as(admin).post('/api/v1/etfs', body);
      const problem = expectProblem(res, 400);
      expect(problem.errors!.map((e) => e.field)).toContain(field);
    }
    expect((await as(admin).post('/api/v1/etfs', full)).status).toBe(201);
    for (const field of ['isin', 'name', 'currency', 'quoteUnit', 'exchange', 'active']) {
      const res = await as(admin).patch('/api/v1/etfs/IWDA.L', { [field]: null });
      expect(new Set(expectProblem(res, 400).errors!.map((e) => e.field))).toEqual(
        new Set([field]),
      );
    }
    const unchanged = await as(admin).get('/api/v1/etfs/IWDA.L');
    expect(unchanged.body).toMatchObject({ ...full, active: true });
  });

  it('keeps flagging a pence block that outlasts the 30 stored bars around an update, and not the good bars after it', async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'VWCE.DE',
      isin: 'IE00BK5BQT80',
      name: 'VWCE',
      currency: 'EUR',
      quoteUnit: 'EUR',
      exchange: 'XETR',
    });
    files.set('VWCE.DE', VWCE);
    const clean = await update('VWCE.DE', {
      type: 'backfill',
      from: '2023-10-02',
      to: '2023-12-29',
    });
    expect(clean).toMatchObject({ status: 'COMPLETED', missingDates: [] });
    // Two months read in pence, fetched month by month (as monthly or daily updates would).
    const block = (d: string) => d >= '2024-01-02' && d <= '2024-02-29';
    files.set('VWCE.DE', inPence(VWCE, block));
    const january = await update('VWCE.DE', {
      type: 'backfill',
      from: '2024-01-01',
      to: '2024-01-31',
    });
    expect(january.counts).toMatchObject({ fetched: 22, flagged: 22 });
    const february = await update('VWCE.DE', {
      type: 'backfill',
      from: '2024-02-01',
      to: '2024-02-29',
    });
    expect(february.counts).toMatchObject({ fetched: 21, flagged: 21 });
    // Back to euros: the first good bars are good, not a jump from the (flagged) block.
    const march = await update('VWCE.DE', {
      type: 'backfill',
      from: '2024-03-01',
      to: '2024-03-15',
    });
    expect(march.counts).toMatchObject({ fetched: 11, flagged: 0 });
    const flags = await flagsOf('VWCE.DE', '2024-01-01', '2024-03-15');
    for (const [date, list] of Object.entries(flags)) {
      expect([date, list]).toEqual([date, block(date) ? ['jump_100x'] : []]);
    }
  });

  it('answers 409 naming the active twin, not 500, to a retry of a failed update while the same update is active', async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'SPY',
      isin: 'US78462F1030',
      name: 'SPY',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    const range = { type: 'backfill', from: '2010-03-01', to: '2010-03-31' };
    // No file: the source answers 404, which fails the update at once.
    const failed = await update('SPY', range);
    expect(failed.status).toBe('FAILED');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    handler = (req, res) =>
      void held.then(() => res.writeHead(200).end('Date,Open,High,Low,Close,Volume\n'));
    const active = await startUpdate('SPY', range);
    expect(active.id).not.toBe(failed.id);
    const retry = await api.http
      .post(`/api/v1/jobs/${failed.id}/retry`)
      .set('Authorization', `Bearer ${admin}`);
    const problem = expectProblem(retry, 409);
    expect(problem.detail).toContain(active.id);
    expect((await as(admin).get(`/api/v1/jobs/${failed.id}`)).body.status).toBe('FAILED');
    release();
    expect((await ended(active.id)).status).toBe('COMPLETED');
    // Once the twin has ended, the retry goes through.
    const retried = await api.http
      .post(`/api/v1/jobs/${failed.id}/retry`)
      .set('Authorization', `Bearer ${admin}`);
    expect(retried.status).toBe(200);
    expect((await ended(failed.id)).status).toBe('COMPLETED');
  });

  it("does not store a bar of today's session before its close (a provider's live bar is no close)", async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'EWG',
      isin: 'US4642868065',
      name: 'EWG',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    files.set(
      'EWG',
      'Date,Open,High,Low,Close,Volume\n' +
        '2025-01-06,34.1,34.5,34,34.4,100\n' +
        '2025-01-07,34.4,34.6,34.2,34.3,100\n' +
        '2025-01-08,34.3,34.4,34.1,34.2,100\n' +
        '2025-01-10,34.2,34.3,34.0,34.05,12\n', // 10:00 in New York: still trading
    );
    // Friday 10 January 2025, 10:00 in New York (9 January: closed, President Carter).
    appClock.now = () => new Date('2025-01-10T15:00:00Z');
    const job = await update('EWG', { type: 'backfill', from: '2025-01-06', to: '2025-01-10' });
    expect(job).toMatchObject({
      status: 'COMPLETED',
      missingDates: [],
      counts: { fetched: 3, inserted: 3, updated: 0, unchanged: 0, flagged: 0 },
    });
    expect(job.notes).toMatch(/2025-01-10.*not closed/);
    expect(Object.keys(await flagsOf('EWG', '2025-01-06', '2025-01-10'))).toEqual([
      '2025-01-06',
      '2025-01-07',
      '2025-01-08',
    ]);
    // After the close, the day's bar is the close and is stored.
    appClock.now = () => new Date('2025-01-10T22:00:00Z');
    const daily = await update('EWG', { type: 'daily' });
    expect(daily).toMatchObject({
      startDate: '2025-01-10',
      missingDates: [],
      counts: { fetched: 1, inserted: 1 },
    });
  });

  it("does not count a daily slot run before the exchange's close as having found the day's prices", async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'IVV',
      isin: isin('US4642872000'.slice(0, 11)),
      name: 'iShares Core S&P 500',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    // Every XNYS ETF's provider has only the live bar of the day (still trading).
    handler = (req, res) =>
      void res
        .writeHead(200, { 'content-type': 'text/csv' })
        .end('Date,Open,High,Low,Close,Volume\n2025-01-13,50.1,50.4,49.9,50.2,1000\n');
    // Monday 13 January 2025, 10:00 in New York: the session closes at 16:00.
    appClock.now = () => new Date('2025-01-13T15:00:00Z');
    const run = await as(admin).post('/api/v1/daily-updates/run', {
      date: '2025-01-13',
      type: 'etf-prices:XNYS',
    });
    expect(run.status).toBe(202);
    const slot = await waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT state, data_found AS "dataFound", notes FROM daily_updates WHERE id = $1`,
          [run.body.id],
        );
        return ['done', 'partial', 'failed', 'no_data'].includes(rows[0]?.state)
          ? (rows[0] as View)
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the slot to end' },
    );
    const stored = await db.query(
      `SELECT count(*)::int AS n FROM etf_prices WHERE price_date = '2025-01-13'`,
    );
    expect(stored.rows[0].n).toBe(0);
    // No price of the day is stored: the slot did not find the data (it is re-run after the close).
    expect(slot).toMatchObject({ state: 'failed', dataFound: false });
    expect(slot.notes).toMatch(/IVV: no price for 2025-01-13/);
  });

  it('writes a PATCH: the changed fields are there when the ETF is read again, and an ISIN clash is 409', async () => {
    const body = {
      symbol: 'CSPX.L',
      isin: isin('IE00B5BMR08'),
      name: 'iShares Core S&P 500',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XLON',
    };
    expect((await as(admin).post('/api/v1/etfs', body)).status).toBe(201);
    const patched = await as(admin).patch('/api/v1/etfs/cspx.l', {
      name: 'iShares Core S&P 500 UCITS ETF',
      active: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'iShares Core S&P 500 UCITS ETF', active: false });
    const read = await as(admin).get('/api/v1/etfs/CSPX.L');
    expect(read.body).toMatchObject({ name: 'iShares Core S&P 500 UCITS ETF', active: false });
    expect(read.body.updatedAt > read.body.createdAt).toBe(true);
    const { rows } = await db.query(`SELECT name, active FROM etfs WHERE symbol = 'CSPX.L'`);
    expect(rows).toEqual([{ name: 'iShares Core S&P 500 UCITS ETF', active: false }]);
    // Another ETF's ISIN: refused, and nothing changed.
    const other = isin('IE00B4L5Y98'); // IWDA.L's, added above
    expectProblem(await as(admin).patch('/api/v1/etfs/CSPX.L', { isin: other }), 409);
    expect((await as(admin).get('/api/v1/etfs/CSPX.L')).body.isin).toBe(body.isin);
  });
});
