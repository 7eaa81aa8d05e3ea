import { strToU8, zipSync } from 'fflate';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { readEcbXml } from '../src/modules/exchange-rates/ecb-xml';
import { EcbDay } from '../src/modules/exchange-rates/ecb-format';
import { ecbClock } from '../src/modules/exchange-rates/ecb-schedule';
import { ExchangeRatesScheduler } from '../src/modules/exchange-rates/exchange-rates.scheduler';
import { fixture } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { SourceServer } from './utils/source-server';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const DAILY = fixture('ecb', 'eurofxref-daily_2024-02-27.xml');
const HIST_90D = fixture('ecb', 'eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml');
const HTML = fixture('ecb', 'not-xml-html-response.xml');
/** After the day's publication (16:00 Berlin) of `date`. */
const at = (date: string) => new Date(`${date}T17:00:00+01:00`);

async function daysOf(bytes: Buffer): Promise<EcbDay[]> {
  const days: EcbDay[] = [];
  for await (const d of readEcbXml(Readable.from([bytes]))) days.push(d);
  return days;
}

/** eurofxref-hist.zip as the ECB publishes it (one CSV, newest first, N/A for absent). */
function histZip(days: EcbDay[]): Uint8Array {
  const currencies: string[] = [];
  for (const d of days)
    for (const c of Object.keys(d.rates)) if (!currencies.includes(c)) currencies.push(c);
  const lines = [`Date,${currencies.join(',')},`];
  for (const d of days)
    lines.push(`${d.date},${currencies.map((c) => d.rates[c] ?? 'N/A').join(',')},`);
  return zipSync({ 'eurofxref-hist.csv': strToU8(lines.join('\n') + '\n') });
}

/**
 * The update side of the ECB rates against a local server serving the ECB fixtures: a day,
 * a closing day, not published yet, bad sources, a 90-day range, the history ZIP.
 */
describe('ECB exchange-rate updates', () => {
  let handler: Handler = (_req, res) => res.writeHead(404).end();
  let source: SourceServer;
  let env: Record<string, string>;
  let api: TestApp;
  let db: Client;
  let admin: string;
  const realNow = ecbClock.now;

  const serve =
    (files: Record<string, Buffer | Uint8Array>): Handler =>
    (req, res) => {
      const body = files[req.url!.split('/').pop()!];
      if (!body)
        return void res
          .writeHead(404, { 'content-type': 'text/html' })
          .end('<html>not found</html>');
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    };
  const post = async (body: object) => {
    const res = await api.http
      .post('/api/v1/exchange-rates/updates')
      .set('Authorization', `Bearer ${admin}`)
      .send(body);
    if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${res.text}`);
    return res.body.jobs as { id: string; type: string; status: string }[];
  };
  const dayRow = async (date: string) =>
    (
      await db.query(
        `SELECT id, status, success_count, total_count, source, notes, error_message, attempts, parent_id
         FROM exchange_rate_updates WHERE update_date = $1`,
        [date],
      )
    ).rows[0];
  const settled = (date: string, statuses: string[], timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const row = await dayRow(date);
        return row && statuses.includes(row.status) ? row : undefined;
      },
      { timeoutMs, what: `${date} to be ${statuses.join('|')}` },
    );
  const jobStatus = (id: string, status: string, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const res = await api.http
          .get(`/api/v1/jobs/${id}`)
          .set('Authorization', `Bearer ${admin}`);
        return res.body.status === status ? res.body : undefined;
      },
      { timeoutMs, what: `job ${id} to be ${status}` },
    );
  const rateCount = async (date: string) =>
    Number(
      (await db.query('SELECT count(*) FROM exchange_rates WHERE rate_date = $1', [date])).rows[0]
        .count,
    );

  beforeAll(async () => {
    source = await SourceServer.start((req, res) => handler(req, res));
    env = isolatedEnv({
      ECB_BASE_URL: `${source.url}/stats/eurofxref`,
      ECB_TIMEOUT_MS: '300',
      BACKOFF_BASE_MS: '20',
      BACKOFF_MAX_MS: '100',
    });
    api = await startTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    admin = await api.token({ sub: 'ops', tenant: null, roles: ['admin'] });
  });
  afterAll(async () => {
    ecbClock.now = realNow;
    await db?.end();
    await api?.close();
    await source?.close();
    if (env) await cleanupEnv(env);
  });
  beforeEach(() => {
    source.requests.length = 0;
  });

  it('stores a day from the daily file, 30 rates exactly as published', async () => {
    ecbClock.now = () => at('2024-02-27');
    handler = serve({ 'eurofxref-daily.xml': DAILY });
    const [job] = await post({ date: '2024-02-27' });
    expect(job.type).toBe('exchange-rate-update');
    const row = await settled('2024-02-27', ['COMPLETED', 'FAILED']);
    expect(row).toMatchObject({
      status: 'COMPLETED',
      success_count: 30,
      total_count: 30,
      source: 'daily',
    });
    expect(source.requests).toEqual(['/stats/eurofxref/eurofxref-daily.xml']);
    const [published] = await daysOf(DAILY);
    const stored = await db.query(
      `SELECT quote, rate::text AS rate, rate = ($2::jsonb ->> quote)::numeric AS equal
       FROM exchange_rates WHERE rate_date = $1 AND base = 'EUR'`,
      ['2024-02-27', JSON.stringify(published.rates)],
    );
    expect(stored.rows).toHaveLength(30);
    expect(stored.rows.every((r) => r.equal)).toBe(true);
    // numeric keeps the published string: trailing zeros too
    expect(stored.rows.find((r) => r.quote === 'GBP').rate).toBe('0.85620');
    await jobStatus(job.id, 'COMPLETED');
  });

  it('creating the same day again returns the existing job', async () => {
    const [again] = await post({ date: '2024-02-27' });
    expect(again.id).toBe((await dayRow('2024-02-27')).id);
    expect(again.status).toBe('COMPLETED');
    expect(source.requests).toEqual([]);
  });

  it('a TARGET holiday or a weekend completes with zero rates and why, without a download', async () => {
    ecbClock.now = () => at('2024-04-02');
    await post({ date: '2024-03-29' });
    await post({ date: '2024-03-30' });
    expect(await settled('2024-03-29', ['COMPLETED', 'FAILED'])).toMatchObject({
      status: 'COMPLETED',
      success_count: 0,
      total_count: 0,
      notes: 'closed: Good Friday (TARGET holiday)',
    });
    expect((await settled('2024-03-30', ['COMPLETED', 'FAILED'])).notes).toBe('closed: weekend');
    expect(source.requests).toEqual([]);
  });

  it('a daily file older than the day: RETRYING "not published yet", then the day once it is out', async () => {
    ecbClock.now = () => at('2024-02-28');
    handler = serve({ 'eurofxref-daily.xml': DAILY });
    await post({ date: '2024-02-28' });
    const waiting = await settled('2024-02-28', ['RETRYING', 'COMPLETED', 'FAILED']);
    expect(waiting.status).toBe('RETRYING');
    expect(waiting.notes).toBe("not published yet: the ECB's latest file is 2024-02-27");
    expect(await rateCount('2024-02-28')).toBe(0);
    // The ECB publishes: the next attempt stores the new day.
    handler = serve({
      'eurofxref-daily.xml': Buffer.from(
        DAILY.toString('utf8').replace("time='2024-02-27'", "time='2024-02-28'"),
      ),
    });
    expect(await settled('2024-02-28', ['COMPLETED', 'FAILED'])).toMatchObject({
      status: 'COMPLETED',
      success_count: 30,
    });
    expect(await rateCount('2024-02-28')).toBe(30);
  });

  it('a day that gave up waiting (FAILED) is re-armed by the next daily run, then completes', async () => {
    ecbClock.now = () => at('2024-02-29');
    handler = serve({ 'eurofxref-daily.xml': DAILY });
    await post({ date: '2024-02-29' });
    const failed = await settled('2024-02-29', ['FAILED', 'COMPLETED'], 30_000);
    expect(failed.status).toBe('FAILED');
    expect(failed.error_message).toMatch(/not published yet/);
    // The ECB publishes; the 16:15 run asks for today again: the row is retried, not returned as is.
    handler = serve({
      'eurofxref-daily.xml': Buffer.from(
        DAILY.toString('utf8').replace("time='2024-02-27'", "time='2024-02-29'"),
      ),
    });
    await api.app.get(ExchangeRatesScheduler).tick();
    const row = await settled('2024-02-29', ['COMPLETED'], 30_000);
    expect(row).toMatchObject({ id: failed.id, success_count: 30, error_message: null });
    expect(await rateCount('2024-02-29')).toBe(30);
    // A completed row is returned as it is.
    source.requests.length = 0;
    const [again] = await post({ date: '2024-02-29' });
    expect(again).toMatchObject({ id: failed.id, status: 'COMPLETED' });
    expect(source.requests).toEqual([]);
  });

  it('an ended day older than a week is returned as it is', async () => {
    ecbClock.now = () => at('2024-02-26');
    handler = (_q, res) => void res.writeHead(500).end('boom');
    await post({ date: '2024-02-26' });
    expect((await settled('2024-02-26', ['FAILED', 'COMPLETED'], 30_000)).status).toBe('FAILED');
    ecbClock.now = () => at('2024-03-06');
    const [again] = await post({ date: '2024-02-26' });
    expect(again.status).toBe('FAILED');
  });

  const badSources: [string, string, Handler, RegExp][] = [
    [
      'an HTML page instead of XML',
      '2024-02-22',
      serve({ 'eurofxref-daily.xml': HTML }),
      /not an ECB|HTML|not XML/i,
    ],
    [
      'a truncated file',
      '2024-02-21',
      serve({ 'eurofxref-daily.xml': DAILY.subarray(0, Math.floor(DAILY.length / 2)) }),
      /truncated|cut short|ended before/i,
    ],
    ['a 404', '2024-02-20', (_q, res) => void res.writeHead(404).end('gone'), /answered 404/],
    ['a 500', '2024-02-19', (_q, res) => void res.writeHead(500).end('boom'), /answered 500/],
    [
      'a server that never answers',
      '2024-02-16',
      () => undefined,
      /did not answer .* within 300 ms/,
    ],
  ];
  it.each(badSources)(
    '%s: retried, then FAILED saying why, nothing written',
    async (_what, date, bad, reason) => {
      ecbClock.now = () => at(date);
      handler = bad;
      await post({ date });
      const row = await settled(date, ['FAILED', 'COMPLETED'], 30_000);
      expect(row.status).toBe('FAILED');
      expect(row.attempts).toBe(10);
      expect(row.error_message).toMatch(reason);
      expect(source.requests.length).toBe(10);
      expect(await rateCount(date)).toBe(0);
    },
  );

  it('a 90-day range: one download, one row per day (closed days say why)', async () => {
    ecbClock.now = () => at('2024-02-28');
    handler = serve({ 'eurofxref-hist-90d.xml': HIST_90D });
    const [job] = await post({ from: '2023-12-15', to: '2024-01-31' });
    expect(job.type).toBe('exchange-rate-backfill');
    const done = await jobStatus(job.id, 'COMPLETED');
    expect(source.requests).toEqual(['/stats/eurofxref/eurofxref-hist-90d.xml']);
    const rows = (
      await db.query(
        `SELECT update_date::text AS d, status, success_count, notes, parent_id, source
         FROM exchange_rate_updates WHERE update_date BETWEEN '2023-12-15' AND '2024-01-31' ORDER BY 1`,
      )
    ).rows;
    expect(rows).toHaveLength(48);
    expect(rows.every((r) => r.status === 'COMPLETED' && r.parent_id === job.id)).toBe(true);
    const byDay = Object.fromEntries(rows.map((r) => [r.d, r]));
    expect(byDay['2023-12-25'].notes).toBe('closed: Christmas Day (TARGET holiday)');
    expect(byDay['2023-12-26'].notes).toBe(
      'closed: Christmas Holiday (26 December) (TARGET holiday)',
    );
    expect(byDay['2024-01-01'].notes).toBe("closed: New Year's Day (TARGET holiday)");
    expect(byDay['2023-12-16'].notes).toBe('closed: weekend');
    expect(byDay['2023-12-15']).toMatchObject({
      success_count: 30,
      source: 'hist-90d',
      notes: null,
    });
    const published = (await daysOf(HIST_90D)).filter(
      (d) => d.date >= '2023-12-15' && d.date <= '2024-01-31',
    );
    expect(done.daysStored).toBe(published.length);
    expect(done.daysClosed).toBe(48 - published.length);
    const stored = await db.query(
      `SELECT count(*) FROM exchange_rates WHERE rate_date BETWEEN '2023-12-15' AND '2024-01-31'`,
    );
    expect(Number(stored.rows[0].count)).toBe(
      published.reduce((n, d) => n + Object.keys(d.rates).length, 0),
    );
    // The per-day list shows them, paged.
    const list = await api.http
      .get('/api/v1/exchange-rates/updates?from=2023-12-15&to=2024-01-31&limit=10')
      .set('Authorization', `Bearer ${admin}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 48, limit: 10, offset: 0 });
    expect(list.body.items[0]).toMatchObject({
      updateDate: '2023-12-15',
      status: 'COMPLETED',
      successCount: 30,
    });

    // Again: same rates by value, nothing changed.
    source.requests.length = 0;
    const [again] = await post({ from: '2023-12-15', to: '2024-01-31' });
    const second = await jobStatus(again.id, 'COMPLETED');
    expect(second.result.counts).toMatchObject({ inserted: 0, updated: 0 });
    expect(source.requests).toHaveLength(1);
  });

  it('an old range from the history ZIP: one download, one row per day', async () => {
    ecbClock.now = () => at('2024-02-28');
    const days = await daysOf(fixture('ecb', 'eurofxref-hist_2016-05-27_to_2016-08-24.xml'));
    handler = serve({ 'eurofxref-hist.zip': histZip(days) });
    const [job] = await post({ from: '2016-06-01', to: '2016-06-30' });
    const done = await jobStatus(job.id, 'COMPLETED');
    expect(source.requests).toEqual(['/stats/eurofxref/eurofxref-hist.zip']);
    expect(done).toMatchObject({ source: 'hist', daysStored: 22, daysClosed: 8 });
    const rows = await db.query(
      `SELECT count(*) FILTER (WHERE status = 'COMPLETED') AS completed, count(*) AS n
       FROM exchange_rate_updates WHERE update_date BETWEEN '2016-06-01' AND '2016-06-30'`,
    );
    expect(rows.rows[0]).toEqual({ completed: '30', n: '30' });
  });

  it('a daily file holding a day after today: retried, then FAILED "from the future", nothing written', async () => {
    ecbClock.now = () => at('2024-02-23');
    handler = serve({ 'eurofxref-daily.xml': DAILY }); // 2024-02-27
    await post({ date: '2024-02-23' });
    const row = await settled('2024-02-23', ['FAILED', 'COMPLETED'], 30_000);
    expect(row.status).toBe('FAILED');
    expect(row.attempts).toBe(10);
    expect(row.error_message).toMatch(
      /holds 2024-02-27, after today 2024-02-23: refusing a file from the future/,
    );
    expect(await rateCount('2024-02-23')).toBe(0);
  });

  it('a 90-day file newer than today fails a range: FAILED "from the future", nothing written', async () => {
    ecbClock.now = () => at('2024-02-15');
    handler = serve({ 'eurofxref-hist-90d.xml': HIST_90D }); // newest 2024-02-27
    const [job] = await post({ from: '2024-02-01', to: '2024-02-14' });
    const failed = await jobStatus(job.id, 'FAILED', 30_000);
    expect(failed.errorMessage).toMatch(
      /holds 2024-02-27, after today 2024-02-15: refusing a file from the future/,
    );
    expect(source.requests).toHaveLength(5);
    const stored = await db.query(
      `SELECT count(*) FROM exchange_rates WHERE rate_date BETWEEN '2024-02-01' AND '2024-02-14'`,
    );
    expect(Number(stored.rows[0].count)).toBe(0);
    const rows = await db.query(
      `SELECT count(*) FROM exchange_rate_updates WHERE update_date BETWEEN '2024-02-01' AND '2024-02-14'`,
    );
    expect(Number(rows.rows[0].count)).toBe(0);
  });

  it('a range over a FAILED and a CANCELLED day takes them over, clearing their error and cancel fields', async () => {
    ecbClock.now = () => at('2024-02-28');
    handler = (_q, res) => void res.writeHead(500).end('boom');
    await post({ date: '2016-07-01' });
    const failed = await settled('2016-07-01', ['FAILED', 'COMPLETED'], 30_000);
    expect(failed.status).toBe('FAILED');
    // A cancelled day, as an operator's cancel leaves it (and a stale lock token).
    await db.query(
      `UPDATE exchange_rate_updates SET status = 'CANCELLED', cancelled_by = 'ops',
         cancel_reason = 'not now', lock_token = 'stale', error_message = NULL
       WHERE update_date = '2016-07-01'`,
    );
    await post({ date: '2016-07-04' });
    expect((await settled('2016-07-04', ['FAILED', 'COMPLETED'], 30_000)).status).toBe('FAILED');
    const days = await daysOf(fixture('ecb', 'eurofxref-hist_2016-05-27_to_2016-08-24.xml'));
    handler = serve({ 'eurofxref-hist.zip': histZip(days) });
    const [job] = await post({ from: '2016-07-01', to: '2016-07-05' });
    await jobStatus(job.id, 'COMPLETED');
    const rows = (
      await db.query(
        `SELECT update_date::text AS d, status, notes, error_message, error_details, cancelled_by,
           cancel_reason, lock_token, parent_id, success_count
         FROM exchange_rate_updates WHERE update_date IN ('2016-07-01', '2016-07-04') ORDER BY 1`,
      )
    ).rows;
    const cleared = {
      status: 'COMPLETED',
      error_message: null,
      error_details: null,
      cancelled_by: null,
      cancel_reason: null,
      lock_token: null,
      parent_id: job.id,
    };
    expect(rows[0]).toMatchObject({
      ...cleared,
      notes: `was CANCELLED; filled by backfill ${job.id}`,
    });
    expect(rows[1]).toMatchObject({
      ...cleared,
      notes: `was FAILED; filled by backfill ${job.id}`,
    });
    expect(rows[0].success_count).toBeGreaterThan(0);
  });

  it('refuses a bad body: both forms, neither, a reversed or future range', async () => {
    ecbClock.now = () => at('2024-02-28');
    for (const body of [
      { date: '2024-02-27', from: '2024-02-01', to: '2024-02-27' },
      {},
      { from: '2024-02-01' },
      { from: '2024-02-27', to: '2024-02-01' },
      { date: '2024-03-05' },
      { date: '2024-02-30' },
      { date: '1998-12-31' },
    ]) {
      const res = await api.http
        .post('/api/v1/exchange-rates/updates')
        .set('Authorization', `Bearer ${admin}`)
        .send(body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
    }
    const user = await api.token({ tenant: 'acme' });
    const res = await api.http
      .post('/api/v1/exchange-rates/updates')
      .set('Authorization', `Bearer ${user}`)
      .send({ date: '2024-02-27' });
    expect(res.status).toBe(403);
  });
});
