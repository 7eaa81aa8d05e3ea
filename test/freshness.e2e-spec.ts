import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { exchangeCalendar } from '../src/common/calendar/exchange-calendar';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { appClock } from '../src/common/util/clock';
import { DailyUpdatesService } from '../src/modules/daily-updates/daily-updates.service';
import { ecbHistory, ecbXml } from './utils/ecb-files';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
type View = Record<string, any>;

const PRICE_HEADER = 'Date,Open,High,Low,Close,Volume\n';
const ECB = 'exchange-rates';
const XNYS = 'etf-prices:XNYS';
const XETR = 'etf-prices:XETR';
/** A day as the gauges give it: Unix seconds of its midnight UTC. */
const seconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

/** Parses the Prometheus text format into { 'name{labels}': value }. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

/**
 * Freshness per daily source (GET /freshness and the jobtrack_daily_* gauges) against local
 * ECB and price servers, with the app's clock driven by the test through an Easter outage
 * (Thursday 2026-04-02 to Wednesday 2026-04-08, caught up on Thursday 04-09) and the
 * weekend after it. One ETF on the NYSE (open on Easter Monday) and one on Xetra (closed on
 * Good Friday and Easter Monday, like TARGET); the Xetra provider lacks 2026-04-08 at first.
 */
describe('freshness of the daily sources', () => {
  /** Per symbol: its exchange and the days the provider has no price for. */
  const etfs = new Map<string, { mic: string; missing: Set<string> }>();
  let ecbToday = '';
  let source: SourceServer;
  let env: Record<string, string>;
  let api: TestApp;
  let db: Client;
  let admin: string;
  let slots: DailyUpdatesService;
  const realNow = appClock.now;

  /** The ECB's files as served on `ecbToday`; an ETF's trading days within the asked range. */
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname.startsWith('/ecb/')) {
      const days = (await ecbHistory()).filter((d) => d.date <= ecbToday).slice(0, 64);
      if (url.pathname.endsWith('eurofxref-hist-90d.xml')) {
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(ecbXml(days));
      }
      if (url.pathname.endsWith('eurofxref-daily.xml')) {
        return void res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(ecbXml(days.slice(0, 1)));
      }
      return void res.writeHead(404).end();
    }
    const symbol = decodeURIComponent(url.pathname.split('/').pop()!).replace(/\.csv$/, '');
    const etf = etfs.get(symbol);
    if (!etf) return void res.writeHead(404).end('unknown');
    const from = url.searchParams.get('from')!;
    const to = url.searchParams.get('to')!;
    const rows = exchangeCalendar(etf.mic)!
      .tradingDays(from, to)
      .filter((d) => !etf.missing.has(d))
      .map((d) => `${d},100.1,100.9,99.8,100.5,5000\n`);
    res.writeHead(200, { 'content-type': 'text/csv' }).end(PRICE_HEADER + rows.join(''));
  };
  const at = (iso: string) => (appClock.now = () => new Date(iso));
  const get = (path: string) => api.http.get(path).set('Authorization', `Bearer ${admin}`);
  /** GET /freshness, by source. */
  const freshness = async (): Promise<Record<string, View>> => {
    const res = await get('/api/v1/freshness');
    expect(res.status).toBe(200);
    return Object.fromEntries((res.body.items as View[]).map((i) => [i.source, i]));
  };
  const scrape = async () => {
    const res = await api.http.get('/metrics').expect(200);
    return { text: res.text, samples: parseMetrics(res.text) };
  };
  /** The jobtrack_daily_* gauges of one source. */
  const gauges = (samples: Map<string, number>, source: string) => {
    const of = (name: string) => samples.get(`jobtrack_daily_${name}{source="${source}"}`);
    return {
      lastSuccess: of('last_success_timestamp_seconds'),
      lastData: of('last_data_date_timestamp_seconds'),
      expected: of('expected_data_date_timestamp_seconds'),
      overdue: of('overdue_slots'),
      failed: of('failed_slots'),
    };
  };
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
  const lastSuccessOf = async (type: string): Promise<number> => {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM max(completed_at))::float8 AS s FROM daily_updates
        WHERE update_type = $1 AND state IN ('done', 'partial')`,
      [type],
    );
    return rows[0].s as number;
  };
  const addEtf = async (symbol: string, body: object) => {
    const res = await api.http
      .post('/api/v1/etfs')
      .set('Authorization', `Bearer ${admin}`)
      .send({ symbol, name: symbol, active: true, ...body });
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
    etfs.set('SPY', { mic: 'XNYS', missing: new Set() });
    etfs.set('VWCE.DE', { mic: 'XETR', missing: new Set(['2026-04-08']) });
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
  });
  afterAll(async () => {
    appClock.now = realNow;
    await db?.end();
    await api?.close();
    await source?.close();
    if (env) await cleanupEnv(env);
  });

  it('moves the expected data date only on open days past their due time and grace: not over Good Friday, the weekend or Easter Monday', async () => {
    // [moment, expected ECB, expected Xetra, expected NYSE]
    const steps: [string, string, string, string][] = [
      // Thursday 2026-04-02, 18:00 in Frankfurt: the ECB was due at 16:30, its grace runs to 18:30.
      ['2026-04-02T16:00:00Z', '2026-04-01', '2026-04-01', '2026-04-01'],
      // 18:31: the ECB's 2nd is expected; Xetra's at 20:30 (17:30 close, 60 min, 2 h).
      ['2026-04-02T16:31:00Z', '2026-04-02', '2026-04-01', '2026-04-01'],
      ['2026-04-02T18:31:00Z', '2026-04-02', '2026-04-02', '2026-04-01'],
      // Good Friday evening: every calendar closed.
      ['2026-04-03T20:00:00Z', '2026-04-02', '2026-04-02', '2026-04-02'],
      ['2026-04-05T12:00:00Z', '2026-04-02', '2026-04-02', '2026-04-02'],
      // Easter Monday, late: TARGET and Xetra closed; the NYSE open, its close (20:00 UTC)
      // plus 60 min and 2 h is 23:00 UTC.
      ['2026-04-06T22:59:00Z', '2026-04-02', '2026-04-02', '2026-04-02'],
      ['2026-04-06T23:01:00Z', '2026-04-02', '2026-04-02', '2026-04-06'],
      // Tuesday morning.
      ['2026-04-07T06:00:00Z', '2026-04-02', '2026-04-02', '2026-04-06'],
    ];
    for (const [moment, ecb, xetr, nyse] of steps) {
      at(moment);
      const items = await freshness();
      const expected = { [ECB]: ecb, [XETR]: xetr, [XNYS]: nyse };
      expect([moment, Object.keys(items)]).toEqual([moment, [XETR, XNYS, ECB]]);
      const { samples } = await scrape();
      for (const [source, date] of Object.entries(expected)) {
        expect([moment, source, items[source].expectedDataDate]).toEqual([moment, source, date]);
        expect([moment, source, gauges(samples, source).expected]).toEqual([
          moment,
          source,
          seconds(date),
        ]);
      }
    }
  });

  it('counts as overdue the open days an outage missed, not Good Friday, Easter Monday (where closed) or the weekend', async () => {
    // Back on Thursday 2026-04-09 at 10:00 in Frankfurt, before anything has run.
    at('2026-04-09T08:00:00Z');
    const items = await freshness();
    expect(items[ECB]).toEqual({
      source: ECB,
      state: 'overdue',
      lastSuccessAt: null,
      lastDataDate: null,
      expectedDataDate: '2026-04-08',
      // 04-02, 04-07, 04-08; not 04-03 to 04-06 (closed), nor 04-09 (due at 16:30).
      overdueSlots: 3,
      failedSlots: 0,
    });
    expect(items[XETR]).toMatchObject({ state: 'overdue', overdueSlots: 3 });
    // The NYSE traded on Easter Monday: 04-02, 04-06, 04-07, 04-08.
    expect(items[XNYS]).toMatchObject({ state: 'overdue', overdueSlots: 4 });
    // The calendar says the same, day by day.
    const res = await get('/api/v1/daily-updates?from=2026-04-02&to=2026-04-09');
    const overdue = (type: string) =>
      (res.body.items as View[])
        .filter((i) => i.type === type && i.state === 'overdue')
        .map((i) => i.date);
    expect(overdue(ECB)).toEqual(['2026-04-02', '2026-04-07', '2026-04-08']);
    expect(overdue(XETR)).toEqual(['2026-04-02', '2026-04-07', '2026-04-08']);
    expect(overdue(XNYS)).toEqual(['2026-04-02', '2026-04-06', '2026-04-07', '2026-04-08']);

    const { samples } = await scrape();
    // Never is 0, so that `time() - …` and `expected - …` rules fire rather than go silent.
    expect(gauges(samples, ECB)).toEqual({
      lastSuccess: 0,
      lastData: 0,
      expected: seconds('2026-04-08'),
      overdue: 3,
      failed: 0,
    });
    expect(gauges(samples, XNYS).overdue).toBe(4);
  });

  it('after the catch-up: fresh where every open day found data, failing where a day failed, and the gauges in Unix seconds', async () => {
    at('2026-04-09T08:00:00Z');
    ecbToday = '2026-04-09';
    await slots.createDueSlots();
    await slotsEnded();
    const items = await freshness();
    expect(items[ECB]).toEqual({
      source: ECB,
      state: 'fresh',
      lastSuccessAt: new Date((await lastSuccessOf(ECB)) * 1000).toISOString(),
      lastDataDate: '2026-04-08',
      expectedDataDate: '2026-04-08',
      overdueSlots: 0,
      failedSlots: 0,
    });
    expect(items[XNYS]).toMatchObject({
      state: 'fresh',
      lastDataDate: '2026-04-08',
      expectedDataDate: '2026-04-08',
      overdueSlots: 0,
    });
    // The Xetra provider had no price for the 8th: that slot failed, the data is a day behind.
    expect(items[XETR]).toMatchObject({
      state: 'failing',
      lastDataDate: '2026-04-07',
      expectedDataDate: '2026-04-08',
      overdueSlots: 0,
      failedSlots: 1,
    });
    // Each file was fetched once per open day and source.
    expect(source.requests.filter((r) => r.startsWith('/ecb/'))).toHaveLength(3);
    expect(source.requests.filter((r) => r.startsWith('/prices/SPY'))).toHaveLength(4);
    expect(source.requests.filter((r) => r.startsWith('/prices/VWCE.DE'))).toHaveLength(3);

    const { text, samples } = await scrape();
    for (const source of [ECB, XETR, XNYS]) {
      const g = gauges(samples, source);
      // completed_at is the database's clock (microseconds); the gauge has milliseconds.
      expect(g.lastSuccess).toBeCloseTo(await lastSuccessOf(source), 2);
      expect(g.lastData).toBe(seconds(items[source].lastDataDate));
      expect(g.expected).toBe(seconds('2026-04-08'));
      expect(g.overdue).toBe(0);
    }
    expect(gauges(samples, XETR).expected! - gauges(samples, XETR).lastData!).toBe(86_400);
    expect(gauges(samples, XETR).failed).toBe(1);
    expect(text).toMatch(/^# TYPE jobtrack_daily_last_success_timestamp_seconds gauge$/m);
    const promtool = spawnSync('promtool', ['--version']);
    if (!promtool.error) {
      const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt');
      writeFileSync(file, text);
      const check = spawnSync('sh', ['-c', `promtool check metrics < "${file}"`], {
        encoding: 'utf8',
      });
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    }

    // The provider catches up; a re-run of the day makes Xetra fresh.
    etfs.get('VWCE.DE')!.missing.clear();
    const rerun = await api.http
      .post('/api/v1/daily-updates/run')
      .set('Authorization', `Bearer ${admin}`)
      .send({ date: '2026-04-08', type: XETR });
    expect(rerun.status).toBe(202);
    await slotsEnded();
    expect((await freshness())[XETR]).toMatchObject({
      state: 'fresh',
      lastDataDate: '2026-04-08',
      failedSlots: 0,
    });
  });

  it('keeps the expected-data gauge still over a weekend, and moves it on Monday after its due time and grace', async () => {
    // Friday 2026-04-10, 23:30 UTC: every source's Friday is past its due time and grace.
    at('2026-04-10T23:30:00Z');
    ecbToday = '2026-04-10';
    await slots.createDueSlots();
    await slotsEnded();
    const friday = (await scrape()).samples;
    for (const source of [ECB, XETR, XNYS]) {
      expect([source, gauges(friday, source)]).toEqual([
        source,
        expect.objectContaining({
          lastData: seconds('2026-04-10'),
          expected: seconds('2026-04-10'),
          overdue: 0,
          failed: 0,
        }),
      ]);
    }
    // Saturday, Sunday and Monday morning: nothing runs, nothing is expected, nothing is late.
    for (const moment of ['2026-04-11T12:00:00Z', '2026-04-12T22:00:00Z', '2026-04-13T08:00:00Z']) {
      at(moment);
      const samples = (await scrape()).samples;
      for (const source of [ECB, XETR, XNYS]) {
        const g = gauges(samples, source);
        expect([moment, source, g.expected, g.expected! - g.lastData!, g.overdue]).toEqual([
          moment,
          source,
          seconds('2026-04-10'),
          0,
          0,
        ]);
      }
      expect(Object.values(await freshness()).map((i) => i.state)).toEqual([
        'fresh',
        'fresh',
        'fresh',
      ]);
    }
    // Monday 19:00 in Frankfurt, nothing run since Friday: the ECB's Monday is expected and
    // missing (the rule `expected - last data date > 0` fires), and overdue.
    at('2026-04-13T17:00:00Z');
    const monday = gauges((await scrape()).samples, ECB);
    expect(monday.expected).toBe(seconds('2026-04-13'));
    expect(monday.expected! - monday.lastData!).toBe(3 * 86_400);
    expect(monday.overdue).toBe(1);
    expect((await freshness())[ECB]).toMatchObject({ state: 'overdue', overdueSlots: 1 });
  });

  it('never counts as overdue a closed day whose slot the workers have not run yet', async () => {
    // The workers are behind (stopped) over the weekend after Friday 2026-04-10: the cron
    // still creates the weekend's slots once due, and they wait in the queue.
    const queue = api.app.get(JobTypeRegistry).get('daily-update')!.queue;
    await queue.pause();
    try {
      // Sunday 2026-04-12, 22:00 in Frankfurt: Saturday's and Sunday's due times and grace
      // have passed (not the NYSE's Sunday, due at 21:00 UTC).
      at('2026-04-12T20:00:00Z');
      const created = await slots.createDueSlots();
      expect(created.map((c) => `${c.updateDate} ${c.updateType}`)).toEqual([
        `2026-04-11 ${XETR}`,
        `2026-04-11 ${XNYS}`,
        `2026-04-11 ${ECB}`,
        `2026-04-12 ${XETR}`,
        `2026-04-12 ${ECB}`,
      ]);
      const items = await freshness();
      for (const source of [ECB, XETR, XNYS]) {
        expect([source, items[source]]).toEqual([
          source,
          expect.objectContaining({ state: 'fresh', overdueSlots: 0, failedSlots: 0 }),
        ]);
      }
      const samples = (await scrape()).samples;
      for (const source of [ECB, XETR, XNYS]) {
        expect([source, gauges(samples, source).overdue]).toEqual([source, 0]);
      }
      const res = await get('/api/v1/daily-updates?from=2026-04-11&to=2026-04-12');
      expect(res.status).toBe(200);
      expect((res.body.items as View[]).map((i) => `${i.date} ${i.type} ${i.state}`)).toEqual([
        `2026-04-11 ${XETR} scheduled`,
        `2026-04-11 ${XNYS} scheduled`,
        `2026-04-11 ${ECB} scheduled`,
        `2026-04-12 ${XETR} scheduled`,
        `2026-04-12 ${XNYS} no_data`,
        `2026-04-12 ${ECB} scheduled`,
      ]);
    } finally {
      await queue.resume();
    }
    await slotsEnded();
    const res = await get('/api/v1/daily-updates?from=2026-04-11&to=2026-04-12');
    expect((res.body.items as View[]).every((i) => i.state === 'no_data')).toBe(true);
  });

  it('is for admins only', async () => {
    const user = await api.token({ sub: 'alice', tenant: 'acme' });
    const refused = await api.http.get('/api/v1/freshness').set('Authorization', `Bearer ${user}`);
    expect(refused.status).toBe(403);
    expect((await api.http.get('/api/v1/freshness')).status).toBe(401);
  });
});
