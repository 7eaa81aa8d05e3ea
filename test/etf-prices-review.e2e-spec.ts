import { IncomingMessage, ServerResponse } from 'node:http';
import { Client } from 'pg';
import { appClock } from '../src/common/util/clock';
import { isinCheckDigit } from '../src/modules/etf-prices/isin';
import { fixture } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { servePriceFiles, SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { expectProblem, rowErrors, settled as uploadSettled, upload } from './utils/uploads';
import { waitFor } from './utils/wait-for';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
type View = Record<string, any>;

const VWCE = fixture('prices', 'VWCE_DE_daily_prices.csv').toString('utf8');

/** A valid ISIN of the 11 characters `body`. */
const isin = (body: string): string => `${body}${isinCheckDigit(body)}`;

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
 * trading counted as having found its prices, a PATCH answered but never written, an
 * uploaded bar of an unknown ETF that failed the whole upload, an uploaded bar that kept the
 * quality flags of the values it replaced).
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
      // Uploads in batches of 3 rows: a few rows span several batches (and checkpoints).
      UPLOAD_BATCH_ROWS: '3',
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
  const PRICE_HEADER = 'etf_id,price_date,open,high,low,close,adj_close,volume,source';
  const NO_ETF = 'no ETF with this symbol: create it first (POST /api/v1/etfs)';

  it('reports an uploaded bar of an unknown ETF as a row error and writes the other rows (partial)', async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'QQQ',
      isin: isin('US46090E103'),
      name: 'Invesco QQQ',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    // Batches of 3 rows: unknown ETFs in the first, second and third batch, mixed with a row
    // invalid on its own and with a symbol that is not even one.
    const csv = [
      PRICE_HEADER,
      'QQQ,2011-01-03,53.5,54,53.3,53.9,,100,vendor-x', // 1
      'NOPE,2011-01-03,1,1,1,1,,100,vendor-x', // 2: no such ETF
      'QQQ,2011-01-04,53.9,54.1,53.6,54,,100,vendor-x', // 3
      'QQQ,2011-01-05,-1,54.4,53.8,54.3,,100,vendor-x', // 4: negative open
      ' NOPE ,2011-01-04,1,1,1,1,,100,vendor-x', // 5: no such ETF (cell as uploaded)
      'QQQ,2011-01-06,54.3,54.6,54.1,54.5,,100,vendor-x', // 6
      'ZZZ9,2011-01-05,1,1,1,1,,100,vendor-x', // 7: no such ETF
      'qqq,2011-01-07,54.5,54.8,54.2,54.6,,100,vendor-x', // 8: not a symbol (upper case)
      'QQQ,2011-01-07,54.5,54.8,54.2,54.6,,100,vendor-x', // 9
    ].join('\n');
    const id = await upload(api, admin, csv, { dataset: 'etf-prices', filename: 'qqq.csv' });
    const done = await uploadSettled(api, admin, id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      attempts: 1,
      errorMessage: null,
      counts: { total: 9, processed: 9, inserted: 4, updated: 0, unchanged: 0, invalid: 5 },
      storedErrors: 5,
    });
    const errors = await rowErrors(api, admin, id);
    expect(errors.invalidRows).toBe(5);
    expect(errors.items).toEqual([
      { row: 2, line: 3, column: 'etf_id', message: NO_ETF, value: 'NOPE' },
      { row: 4, line: 5, column: 'open', message: 'open must not be negative', value: '-1' },
      { row: 5, line: 6, column: 'etf_id', message: NO_ETF, value: ' NOPE ' },
      { row: 7, line: 8, column: 'etf_id', message: NO_ETF, value: 'ZZZ9' },
      {
        row: 8,
        line: 9,
        column: 'etf_id',
        message: 'etf_id must be an ETF symbol (upper case, e.g. VWCE.DE)',
        value: 'qqq',
      },
    ]);
    expect(Object.keys(await flagsOf('QQQ', '2011-01-03', '2011-01-07'))).toEqual([
      '2011-01-03',
      '2011-01-04',
      '2011-01-06',
      '2011-01-07',
    ]);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM etf_prices WHERE etf_id IN ('NOPE', 'ZZZ9')`,
    );
    expect(rows[0].n).toBe(0);

    // Once the ETF exists, the same file writes its bars; the others are found unchanged.
    await as(admin).post('/api/v1/etfs', {
      symbol: 'NOPE',
      isin: isin('US46090E104'),
      name: 'Nope',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    const again = await uploadSettled(
      api,
      admin,
      await upload(api, admin, csv, { dataset: 'etf-prices', filename: 'qqq.csv' }),
    );
    expect(again).toMatchObject({
      status: 'COMPLETED',
      counts: { total: 9, processed: 9, inserted: 2, updated: 0, unchanged: 4, invalid: 3 },
    });
    expect(
      (await rowErrors(api, admin, again.id)).items.map((e) => [e.row, e.column, e.value]),
    ).toEqual([
      [4, 'open', '-1'],
      [7, 'etf_id', 'ZZZ9'],
      [8, 'etf_id', 'qqq'],
    ]);
  });

  it('refuses a strict upload with a bar of an unknown ETF as it refuses any invalid row, writing nothing', async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'XLK',
      isin: isin('US81369Y803'),
      name: 'Technology Select Sector SPDR',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    const csv = [
      PRICE_HEADER,
      'XLK,2012-02-01,26,26.5,25.9,26.4,,100,vendor-x',
      'XLK,2012-02-02,26.4,26.6,26.2,26.5,,100,vendor-x',
      'XLK,2012-02-03,26.5,26.9,26.4,26.8,,100,vendor-x',
      'XLK,2012-02-06,26.8,26.9,26.6,26.7,,100,vendor-x',
      'XLKX,2012-02-06,1,1,1,1,,100,vendor-x', // row 5, in the second batch
      'XLK,2012-02-07,26.7,26.8,26.5,26.6,,100,vendor-x',
    ].join('\n');
    const id = await upload(api, admin, csv, {
      dataset: 'etf-prices',
      mode: 'strict',
      filename: 'xlk.csv',
    });
    const done = await uploadSettled(api, admin, id);
    expect(done).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      errorMessage: '1 of 6 rows are invalid; nothing was written (strict mode)',
      counts: { total: 6, processed: 6, inserted: 0, updated: 0, unchanged: 0, invalid: 1 },
      written: 'nothing was written',
    });
    expect((await rowErrors(api, admin, id)).items).toEqual([
      { row: 5, line: 6, column: 'etf_id', message: NO_ETF, value: 'XLKX' },
    ]);
    expect(await flagsOf('XLK', '2012-02-01', '2012-02-07')).toEqual({});
  });

  it('reports the bar of an ETF deleted between the check and the write on the retry, which resumes after the checkpoint', async () => {
    for (const [symbol, body] of [
      ['IWM', 'US464287655'],
      ['GONE', 'US464287656'],
    ]) {
      await as(admin).post('/api/v1/etfs', {
        symbol,
        isin: isin(body),
        name: symbol,
        currency: 'USD',
        quoteUnit: 'USD',
        exchange: 'XNYS',
      });
    }
    // The write of a GONE bar waits on a lock this test holds, while GONE is deleted.
    await db.query(`CREATE FUNCTION test_hold_gone() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.etf_id = 'GONE' THEN PERFORM pg_advisory_xact_lock(4711); END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER test_hold_gone BEFORE INSERT ON etf_prices
      FOR EACH ROW EXECUTE FUNCTION test_hold_gone()`);
    await db.query('SELECT pg_advisory_lock(4711)');
    try {
      const csv = [
        PRICE_HEADER,
        'IWM,2013-03-01,90,91,89,90.5,,100,vendor-x',
        'IWM,2013-03-04,90.5,91,90,90.8,,100,vendor-x',
        'IWM,2013-03-05,90.8,92,90.6,91.9,,100,vendor-x', // batch 1 commits: checkpoint 3
        'IWM,2013-03-06,91.9,92.2,91.5,92,,100,vendor-x',
        'GONE,2013-03-06,10,10,10,10,,100,vendor-x', // row 5: found by the check, then deleted
        'IWM,2013-03-07,92,92.4,91.8,92.3,,100,vendor-x',
        'IWM,2013-03-08,92.3,92.9,92.1,92.8,,100,vendor-x',
      ].join('\n');
      const id = await upload(api, admin, csv, { dataset: 'etf-prices', filename: 'iwm.csv' });
      await waitFor(
        async () => {
          const { rows } = await db.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4711 AND NOT granted`,
          );
          return rows.length > 0 || undefined;
        },
        { timeoutMs: 20_000, what: 'the write of the GONE bar to wait' },
      );
      await db.query(`DELETE FROM etfs WHERE symbol = 'GONE'`);
      await db.query('SELECT pg_advisory_unlock(4711)');
      const done = await uploadSettled(api, admin, id);
      expect(done).toMatchObject({
        status: 'COMPLETED',
        attempts: 2,
        counts: { total: 7, processed: 7, inserted: 6, updated: 0, unchanged: 0, invalid: 1 },
      });
      expect((await rowErrors(api, admin, id)).items).toEqual([
        { row: 5, line: 6, column: 'etf_id', message: NO_ETF, value: 'GONE' },
      ]);
      const history = await as(admin).get(`/api/v1/jobs/${id}`);
      expect(history.body.attemptHistory[0].errorMessage).toMatch(/foreign key/);
      expect(Object.keys(await flagsOf('IWM', '2013-03-01', '2013-03-08'))).toHaveLength(6);
    } finally {
      await db.query('SELECT pg_advisory_unlock_all()');
      await db.query('DROP TRIGGER test_hold_gone ON etf_prices');
      await db.query('DROP FUNCTION test_hold_gone()');
    }
  });

  it('stores a bar that an upload changed as not checked (flags null), whatever flags it had', async () => {
    await as(admin).post('/api/v1/etfs', {
      symbol: 'DIA',
      isin: isin('US2527871065'.slice(0, 11)),
      name: 'SPDR Dow Jones Industrial Average',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    files.set(
      'DIA',
      'Date,Open,High,Low,Close,Volume\n' +
        '2025-01-06,420,425,419,424,1000\n' +
        '2025-01-07,424,426,420,421,1000\n' +
        '2025-01-08,421,421,421,421,0\n', // a flat zero-volume placeholder: flagged
    );
    const range = { from: '2025-01-06', to: '2025-01-08' };
    const fetched = await update('DIA', { type: 'backfill', ...range });
    expect(fetched).toMatchObject({ status: 'COMPLETED', counts: { inserted: 3, flagged: 1 } });
    expect(await flagsOf('DIA', range.from, range.to)).toEqual({
      '2025-01-06': [],
      '2025-01-07': [],
      '2025-01-08': ['flat_zero_volume'],
    });

    const csv = [
      PRICE_HEADER,
      'DIA,2025-01-06,0,425,419,424,,1000,vendor-x', // a clean bar made wrong (open 0)
      'DIA,2025-01-07,424,426,420,421,,1000,provider', // the same values: unchanged
      'DIA,2025-01-08,421,422.5,420,422,,53000,vendor-x', // the flagged bar corrected
    ].join('\n');
    const id = await upload(api, admin, csv, { dataset: 'etf-prices', filename: 'dia.csv' });
    expect(await uploadSettled(api, admin, id)).toMatchObject({
      status: 'COMPLETED',
      counts: { total: 3, inserted: 0, updated: 2, unchanged: 1, invalid: 0 },
    });
    const prices = await as(admin).get(`/api/v1/etfs/DIA/prices?from=${range.from}&to=${range.to}`);
    expect(prices.body.items).toEqual([
      expect.objectContaining({ date: '2025-01-06', open: '0', flags: null }),
      expect.objectContaining({ date: '2025-01-07', open: '424', flags: [] }),
      expect.objectContaining({ date: '2025-01-08', close: '422', volume: '53000', flags: null }),
    ]);

    // A repair fetches missing and flagged days only: not checked is neither.
    const repair = await update('DIA', { type: 'repair', ...range });
    expect(repair).toMatchObject({
      status: 'COMPLETED',
      notes: 'nothing to repair: no missing or flagged day',
    });
    expect(await flagsOf('DIA', range.from, range.to)).toEqual({
      '2025-01-06': null,
      '2025-01-07': [],
      '2025-01-08': null,
    });
    // A backfill fetches and checks every day again: the provider's bars and their flags.
    const again = await update('DIA', { type: 'backfill', ...range });
    expect(again).toMatchObject({
      status: 'COMPLETED',
      counts: { updated: 2, unchanged: 1, flagged: 1 },
    });
    expect(await flagsOf('DIA', range.from, range.to)).toEqual({
      '2025-01-06': [],
      '2025-01-07': [],
      '2025-01-08': ['flat_zero_volume'],
    });
  });
});
