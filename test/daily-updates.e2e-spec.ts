import { IncomingMessage, ServerResponse } from 'node:http';
import { Client } from 'pg';
import { DailySources, type DailySource } from '../src/common/daily/daily-source';
import { appClock } from '../src/common/util/clock';
import { DailyUpdatesService } from '../src/modules/daily-updates/daily-updates.service';
import { ExchangeRatesService } from '../src/modules/exchange-rates/exchange-rates.service';
import { ecbHist90d } from './utils/ecb-files';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { expectProblem } from './utils/uploads';
import { waitFor } from './utils/wait-for';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
type View = Record<string, any>;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const PRICE_HEADER = 'Date,Open,High,Low,Close,Volume\n';

/**
 * The daily-update calendar against local ECB and price servers, with the app's clock
 * driven by the test: catch-up after an outage, closed days, the NYSE's day of mourning,
 * partial days, re-runs.
 */
describe('daily-update calendar', () => {
  const prices = new Map<string, string>();
  let ecbFile = '';
  let ecbDown = false;
  let hold: Promise<void> | null = null;
  let source: SourceServer;
  let env: Record<string, string>;
  let api: TestApp;
  let db: Client;
  let admin: string;
  let slots: DailyUpdatesService;
  const realNow = appClock.now;

  const handler: Handler = (req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const reply = () => {
      if (ecbDown && path.startsWith('/ecb/')) return void res.writeHead(503).end('down');
      if (path.endsWith('eurofxref-hist-90d.xml')) {
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(ecbFile);
      }
      const symbol = decodeURIComponent(path.split('/').pop()!).replace(/\.csv$/, '');
      const csv = prices.get(symbol);
      if (csv === undefined) return void res.writeHead(404).end('unknown');
      res.writeHead(200, { 'content-type': 'text/csv' }).end(csv);
    };
    if (hold) void hold.then(reply);
    else reply();
  };
  const as = () => ({
    get: (path: string) => api.http.get(path).set('Authorization', `Bearer ${admin}`),
    post: (path: string, body: object) =>
      api.http.post(path).set('Authorization', `Bearer ${admin}`).send(body),
  });
  const calendar = async (query: string) => {
    const res = await as().get(`/api/v1/daily-updates?${query}`);
    expect(res.status).toBe(200);
    return res.body.items as View[];
  };
  const byDate = (items: View[]) => Object.fromEntries(items.map((i) => [i.date, i.state]));
  /** Waits until every slot row has ended (COMPLETED or FAILED). */
  const slotsEnded = () =>
    waitFor(
      async () => {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM daily_updates WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')`,
        );
        return rows[0].n === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'every slot to end' },
    );
  const runSlot = async (date: string, type: string) => {
    const res = await as().post('/api/v1/daily-updates/run', { date, type });
    if (res.status !== 202) throw new Error(`run answered ${res.status}: ${res.text}`);
    return res.body as View;
  };
  const addEtf = async (symbol: string, body: object) => {
    const res = await as().post('/api/v1/etfs', { symbol, name: symbol, active: true, ...body });
    expect(res.status).toBe(201);
  };

  beforeAll(async () => {
    source = await SourceServer.start((req, res) => handler(req, res));
    env = isolatedEnv({
      ECB_BASE_URL: `${source.url}/ecb`,
      ETF_PRICES_URL: source.pricesUrl,
      BACKOFF_BASE_MS: '20',
      BACKOFF_MAX_MS: '100',
    });
    api = await startTestApp(env);
    slots = api.app.get(DailyUpdatesService);
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
    source.requests.length = 0;
    hold = null;
    ecbDown = false;
  });

  it('catches up an outage oldest first: closed days no_data, open days fetched once, nothing twice', async () => {
    // Down from Thursday 2026-04-02 to Wednesday 2026-04-08; back on Thursday 04-09 at 10:00
    // in Frankfurt, before the ECB's publication of the day.
    appClock.now = () => new Date('2026-04-09T08:00:00Z');
    ecbFile = await ecbHist90d('2026-04-08');
    const created = await slots.createDueSlots();
    expect(created.map((s) => s.updateDate)).toEqual([
      '2026-04-02',
      '2026-04-03',
      '2026-04-04',
      '2026-04-05',
      '2026-04-06',
      '2026-04-07',
      '2026-04-08',
    ]);
    await slotsEnded();
    const items = await calendar('from=2026-04-02&to=2026-04-09&type=exchange-rates');
    expect(byDate(items)).toEqual({
      '2026-04-02': 'done',
      '2026-04-03': 'no_data',
      '2026-04-04': 'no_data',
      '2026-04-05': 'no_data',
      '2026-04-06': 'no_data',
      '2026-04-07': 'done',
      '2026-04-08': 'done',
      // 10:00 in Frankfurt on a TARGET day: due at 16:30, not overdue.
      '2026-04-09': 'scheduled',
    });
    const goodFriday = items.find((i) => i.date === '2026-04-03')!;
    expect(goodFriday).toMatchObject({
      type: 'exchange-rates',
      dataFound: false,
      notes: 'closed: Good Friday (TARGET holiday)',
      children: { total: 0, completed: 0, failed: 0 },
    });
    expect(goodFriday.jobId).toEqual(expect.any(String));
    expect(items.find((i) => i.date === '2026-04-08')).toMatchObject({
      dataFound: true,
      children: { total: 1, completed: 1, failed: 0 },
    });
    expect(items.find((i) => i.date === '2026-04-09')).toMatchObject({ jobId: null });
    // The ECB was asked once per open day, never on a closed one.
    expect(source.requests.filter((r) => r.includes('eurofxref'))).toHaveLength(3);
    const { rows } = await db.query(
      `SELECT update_date::text AS d, success_count FROM exchange_rate_updates ORDER BY update_date`,
    );
    expect(rows.map((r) => r.d)).toEqual(['2026-04-02', '2026-04-07', '2026-04-08']);
    expect(rows.every((r) => r.success_count > 25)).toBe(true);
    // The children are the slot's: a job of the calendar shows its parent.
    const child = await db.query(
      `SELECT parent_type FROM exchange_rate_updates WHERE update_date = '2026-04-08'`,
    );
    expect(child.rows[0].parent_type).toBe('daily-update');

    // Again, and from another replica at once: nothing is created or run twice.
    source.requests.length = 0;
    expect(await Promise.all([slots.createDueSlots(), slots.createDueSlots()])).toEqual([[], []]);
    expect(source.requests).toEqual([]);
    const attempts = await db.query(
      `SELECT max(attempts)::int AS n, count(*)::int AS slots FROM daily_updates`,
    );
    expect(attempts.rows[0]).toEqual({ n: 1, slots: 7 });

    // 18:45 in Frankfurt: the day is due (16:30) and past its grace (2 h): overdue.
    appClock.now = () => new Date('2026-04-09T16:45:00Z');
    const late = await calendar('from=2026-04-09&to=2026-04-09&type=exchange-rates');
    expect(late[0]).toMatchObject({ state: 'overdue', jobId: null });
  });

  it('on 2025-01-09 the NYSE slot is no_data while Xetra and London run', async () => {
    await addEtf('SPY', {
      isin: 'US78462F1030',
      currency: 'USD',
      quoteUnit: 'USD',
      exchange: 'XNYS',
    });
    await addEtf('VWCE.DE', {
      isin: 'IE00BK5BQT80',
      currency: 'EUR',
      quoteUnit: 'EUR',
      exchange: 'XETR',
    });
    await addEtf('VUSA.L', {
      isin: 'IE00B3XXRP09',
      currency: 'GBP',
      quoteUnit: 'GBX',
      exchange: 'XLON',
    });
    prices.set('VWCE.DE', `${PRICE_HEADER}2025-01-09,126.1,126.9,125.8,126.5,90000\n`);
    prices.set('VUSA.L', `${PRICE_HEADER}2025-01-09,9580,9620,9540,9600,120000\n`);
    prices.set('SPY', PRICE_HEADER);
    // Friday 10 January 2025, 07:00 UTC: every close of the 9th and its margin have passed.
    appClock.now = () => new Date('2025-01-10T07:00:00Z');
    const types = ['etf-prices:XETR', 'etf-prices:XLON', 'etf-prices:XNYS'];
    for (const type of types) await runSlot('2025-01-09', type);
    await slotsEnded();
    const items = await calendar('from=2025-01-09&to=2025-01-09');
    expect(Object.fromEntries(items.map((i) => [i.type, i.state]))).toEqual({
      'etf-prices:XETR': 'done',
      'etf-prices:XLON': 'done',
      'etf-prices:XNYS': 'no_data',
      // The ECB published that day and nothing fetched it: overdue, never no_data.
      'exchange-rates': 'overdue',
    });
    const nyse = items.find((i) => i.type === 'etf-prices:XNYS')!;
    expect(nyse.notes).toMatch(/^closed: .*Carter.*\(XNYS\)$/);
    expect(source.requests.filter((r) => r.startsWith('/prices/SPY'))).toEqual([]);
    expect(items.find((i) => i.type === 'etf-prices:XLON')).toMatchObject({
      dataFound: true,
      children: { total: 1, completed: 1, failed: 0 },
    });
  });

  it('says partial when some children find nothing, and re-runs a slot (409 while it runs)', async () => {
    await addEtf('EXS1.DE', {
      isin: 'DE0005933931',
      currency: 'EUR',
      quoteUnit: 'EUR',
      exchange: 'XETR',
    });
    prices.set('VWCE.DE', `${PRICE_HEADER}2025-01-08,126.1,126.9,125.8,126.5,90000\n`);
    prices.set('EXS1.DE', PRICE_HEADER); // the provider has nothing for the day yet
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const slot = await runSlot('2025-01-08', 'etf-prices:XETR');
    await waitFor(
      async () =>
        (await db.query(`SELECT state FROM daily_updates WHERE id = $1`, [slot.id])).rows[0]
          .state === 'running'
          ? true
          : undefined,
      { what: 'the slot to run' },
    );
    const busy = await as().post('/api/v1/daily-updates/run', {
      date: '2025-01-08',
      type: 'etf-prices:XETR',
    });
    expect(expectProblem(busy, 409).detail).toMatch(/running/);
    release();
    await slotsEnded();
    const [partial] = await calendar('from=2025-01-08&to=2025-01-08&type=etf-prices:XETR');
    expect(partial).toMatchObject({
      state: 'partial',
      dataFound: true,
      children: { total: 2, completed: 1, failed: 1 },
      notes: 'EXS1.DE: no price for 2025-01-08',
    });

    // The provider catches up: a re-run starts the children anew, and the day is done.
    prices.set('EXS1.DE', `${PRICE_HEADER}2025-01-08,90.1,90.9,89.8,90.5,5000\n`);
    const again = await runSlot('2025-01-08', 'etf-prices:XETR');
    expect(again.id).toBe(slot.id);
    await slotsEnded();
    const [done] = await calendar('from=2025-01-08&to=2025-01-08&type=etf-prices:XETR');
    expect(done).toMatchObject({ state: 'done', children: { total: 2, completed: 2, failed: 0 } });

    expectProblem(
      await as().post('/api/v1/daily-updates/run', { date: '2025-01-08', type: 'etf-prices:XNAS' }),
      404,
    );
    expectProblem(
      await as().post('/api/v1/daily-updates/run', { date: '2025-01-11', type: 'exchange-rates' }),
      400,
    );
    const user = await api.token({ sub: 'alice', tenant: 'acme' });
    const refused = await api.http
      .get('/api/v1/daily-updates')
      .set('Authorization', `Bearer ${user}`);
    expectProblem(refused, 403);
  });

  it('answers a default window that would start before the first date with 200, never 500', async () => {
    appClock.now = () => new Date('2026-04-09T08:00:00Z');
    // `from` defaults to 7 days before `to`, which for 1583-01-02 has no ISO date.
    expect(await calendar('to=1583-01-02')).toEqual([]);
    expectProblem(await as().get('/api/v1/daily-updates?to=1582-12-31'), 400);
  });

  it('fails a slot whose child was deleted while it waited, never done without the data', async () => {
    appClock.now = () => new Date('2026-04-09T08:00:00Z');
    ecbFile = await ecbHist90d('2026-04-08');
    let release!: () => void;
    hold = new Promise((r) => (release = r));
    const slot = await runSlot('2026-03-31', 'exchange-rates');
    const child = await waitFor(
      async () =>
        (
          await db.query(`SELECT child_jobs->0->>'id' AS id FROM daily_updates WHERE id = $1`, [
            slot.id,
          ])
        ).rows[0].id as string | undefined,
      { what: 'the slot to start its child' },
    );
    await db.query(`DELETE FROM job_attempts WHERE job_id = $1`, [child]);
    await db.query(`DELETE FROM exchange_rate_updates WHERE id = $1`, [child]);
    release();
    await slotsEnded();
    const [entry] = await calendar('from=2026-03-31&to=2026-03-31&type=exchange-rates');
    expect(entry).toMatchObject({
      state: 'failed',
      dataFound: false,
      children: { total: 1, completed: 0, failed: 1 },
      notes: expect.stringMatching(/deleted/),
    });
  });

  it('says failed for a slot whose job failed before it could store how it ended, not running', async () => {
    appClock.now = () => new Date('2026-04-09T08:00:00Z');
    // A source whose every attempt throws (as a database outage, the hard time limit or
    // orphan rescue would end the job): the slot's job ends FAILED with its state `running`.
    let registered = true;
    const broken: DailySource = {
      type: 'test-broken',
      timeZone: 'UTC',
      firstDate: '2026-04-09',
      day: () => Promise.resolve({ open: true }),
      dueAt: (date) => Promise.resolve(new Date(`${date}T23:00:00Z`)),
      startChildren: () => Promise.reject(new Error('the test source is down')),
      outcome: () => Promise.reject(new Error('never asked')),
    };
    api.app.get(DailySources).register({
      sources: () => Promise.resolve(registered ? [broken] : []),
    });
    try {
      const slot = await runSlot('2026-04-09', 'test-broken');
      await slotsEnded();
      const { rows } = await db.query(`SELECT status, state FROM daily_updates WHERE id = $1`, [
        slot.id,
      ]);
      expect(rows[0]).toEqual({ status: 'FAILED', state: 'running' });
      const [entry] = await calendar('from=2026-04-09&to=2026-04-09&type=test-broken');
      expect(entry).toMatchObject({
        state: 'failed',
        jobId: slot.id,
        notes: expect.stringMatching(/the test source is down/),
      });
      const fresh = await as().get('/api/v1/freshness');
      expect(fresh.status).toBe(200);
      expect((fresh.body.items as View[]).find((i) => i.source === 'test-broken')).toMatchObject({
        failedSlots: 1,
        overdueSlots: 0,
      });
    } finally {
      registered = false;
    }
  });

  it('fetches on a slot’s first run a day whose ECB update gave up long before', async () => {
    appClock.now = () => new Date('2026-04-09T08:00:00Z');
    ecbFile = await ecbHist90d('2026-04-08');
    // The ECB's own cron tried Friday 2026-03-20 while the ECB was unreachable, and gave up;
    // the day is older than REARM_DAYS, so asking for it again does not re-arm it.
    ecbDown = true;
    const { job } = await api.app.get(ExchangeRatesService).updateDay('2026-03-20');
    await waitFor(
      async () =>
        (await db.query(`SELECT status FROM exchange_rate_updates WHERE id = $1`, [job.id])).rows[0]
          .status === 'FAILED'
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'the ECB update to give up' },
    );
    ecbDown = false;
    source.requests.length = 0;
    await runSlot('2026-03-20', 'exchange-rates');
    await slotsEnded();
    const [entry] = await calendar('from=2026-03-20&to=2026-03-20&type=exchange-rates');
    expect(entry).toMatchObject({
      state: 'done',
      dataFound: true,
      children: { total: 1, completed: 1, failed: 0 },
    });
    expect(source.requests.filter((r) => r.includes('eurofxref'))).toHaveLength(1);
  });
});
