import { Readable } from 'node:stream';
import { Client } from 'pg';
import type { EcbDay } from '../src/modules/exchange-rates/ecb-format';
import { readEcbXml } from '../src/modules/exchange-rates/ecb-xml';
import { berlinToday } from '../src/modules/exchange-rates/rates-answer';
import { fixture } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { settled, upload } from './utils/uploads';

/** Every day of an ECB fixture file, as published (strings). */
async function fixtureDays(name: string): Promise<EcbDay[]> {
  const days: EcbDay[] = [];
  for await (const day of readEcbXml(Readable.from([fixture('ecb', name)]))) days.push(day);
  return days;
}

/** Inserts the days into exchange_rates with SQL, rates as text cast to numeric. */
async function seed(db: Client, days: EcbDay[], source: string): Promise<void> {
  const dates: string[] = [];
  const quotes: string[] = [];
  const rates: string[] = [];
  for (const day of days) {
    for (const [quote, rate] of Object.entries(day.rates)) {
      dates.push(day.date);
      quotes.push(quote);
      rates.push(rate);
    }
  }
  await db.query(
    `INSERT INTO exchange_rates (rate_date, base, quote, rate, source)
     SELECT d, 'EUR', q, r::numeric, $4 FROM unnest($1::date[], $2::text[], $3::text[]) AS t(d, q, r)`,
    [dates, quotes, rates, source],
  );
}

/**
 * GET /exchange-rates and /exchange-rates/convert over the ECB fixtures stored with SQL:
 * 2018-03-14..2018-06-11 (Good Friday, Easter Monday, 1 May), 2022-11-24..2023-02-21 (the last
 * HRK rate, the cross-rate example), 2023-11-30..2024-02-27 (Christmas).
 */
describe('exchange rates: the read API', () => {
  const env = isolatedEnv();
  let app: TestApp;
  let db: Client;
  let user: string;
  let admin: string;
  const byDate = new Map<string, EcbDay>();

  const get = (path: string, token = user) =>
    app.http.get(`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
  const problem = (res: { status: number; headers: Record<string, string> }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  };

  beforeAll(async () => {
    app = await startTestApp({ ...env, APP_ROLE: 'all' });
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    user = await app.token({ tenant: 'acme' });
    admin = await app.token({ tenant: null, roles: ['admin'] });
    for (const name of [
      'eurofxref-hist-90d_2018-03-14_to_2018-06-11.xml',
      'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml',
      'eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml',
    ]) {
      const days = await fixtureDays(name);
      for (const day of days) byDate.set(day.date, day);
      await seed(db, days, 'hist-90d');
    }
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await cleanupEnv(env);
  });

  describe('GET /exchange-rates', () => {
    it('a publication day: every rate exactly as stored, base EUR, no fallback', async () => {
      for (const date of ['2023-02-21', '2022-12-30', '2018-03-29', '2024-02-27']) {
        const res = await get(`/exchange-rates?date=${date}`).expect(200);
        expect(res.body).toMatchObject({
          requestedDate: date,
          effectiveDate: date,
          base: 'EUR',
          fallback: null,
        });
        expect(res.body.rates).toEqual(byDate.get(date)!.rates);
      }
    });

    it('symbols choose the quotes; without them, the currencies ended by then are listed', async () => {
      const some = await get('/exchange-rates?date=2023-02-21&symbols=USD,GBP').expect(200);
      expect(some.body).toEqual({
        requestedDate: '2023-02-21',
        effectiveDate: '2023-02-21',
        base: 'EUR',
        rates: { GBP: '0.87925', USD: '1.0664' },
        fallback: null,
        unavailable: [],
      });
      const all = await get('/exchange-rates?date=2023-02-21').expect(200);
      expect(all.body.unavailable).toEqual(
        expect.arrayContaining([
          { currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' },
          { currency: 'RUB', lastDate: '2022-03-01', reason: 'suspended' },
          { currency: 'TRL', lastDate: '2004-12-31', reason: 'redenominated' },
        ]),
      );
      expect(all.body.unavailable.map((u: { currency: string }) => u.currency)).not.toContain(
        'ISK',
      );
    });

    it('cross rates for any base, from the two euro legs of the day (the issue’s example)', async () => {
      const usd = await get('/exchange-rates?date=2023-02-21&base=USD&symbols=GBP,EUR').expect(200);
      expect(usd.body.rates).toEqual({ EUR: '0.9377344336084021', GBP: '0.8245030007501875' });
      const gbp = await get('/exchange-rates?date=2023-02-21&base=GBP&symbols=USD').expect(200);
      expect(gbp.body).toMatchObject({ base: 'GBP', rates: { USD: '1.212851862382713' } });
    });

    it('a weekend: the Friday before, saying so', async () => {
      const res = await get('/exchange-rates?date=2023-02-19&symbols=USD').expect(200);
      expect(res.body).toMatchObject({
        requestedDate: '2023-02-19',
        effectiveDate: '2023-02-17',
        rates: { USD: byDate.get('2023-02-17')!.rates.USD },
        fallback: { reason: 'weekend', name: 'Sunday' },
      });
    });

    it.each([
      ['2023-12-25', '2023-12-22', 'Christmas Day'],
      ['2023-12-26', '2023-12-22', 'Christmas Holiday (26 December)'],
      ['2018-03-30', '2018-03-29', 'Good Friday'],
      ['2018-04-02', '2018-03-29', 'Easter Monday'],
      ['2018-05-01', '2018-04-30', 'Labour Day'],
    ])('a TARGET holiday, %s: the rates of %s (%s)', async (date, effective, name) => {
      const res = await get(`/exchange-rates?date=${date}`).expect(200);
      expect(res.body).toMatchObject({
        requestedDate: date,
        effectiveDate: effective,
        fallback: { reason: 'target_holiday', name },
      });
      expect(res.body.rates).toEqual(byDate.get(effective)!.rates);
    });

    it('an open TARGET day without rates stored, and today: not_yet_published', async () => {
      const res = await get('/exchange-rates?date=2024-02-28&symbols=USD').expect(200);
      expect(res.body).toMatchObject({
        effectiveDate: '2024-02-27',
        fallback: { reason: 'not_yet_published', name: null },
      });
      const today = await get('/exchange-rates?symbols=USD').expect(200);
      expect(today.body).toMatchObject({
        requestedDate: berlinToday(),
        effectiveDate: '2024-02-27',
        fallback: { reason: 'not_yet_published' },
      });
    });

    it('HRK: answered until 2022-12-30, never carried forward past it', async () => {
      const last = await get('/exchange-rates?date=2022-12-30&symbols=HRK').expect(200);
      expect(last.body.rates).toEqual({ HRK: '7.5365' });
      // Saturday: the Friday's rates stand in for USD, not for HRK.
      const sat = await get('/exchange-rates?date=2022-12-31&symbols=HRK,USD').expect(200);
      expect(sat.body).toEqual({
        requestedDate: '2022-12-31',
        effectiveDate: '2022-12-30',
        base: 'EUR',
        rates: { USD: '1.0666' },
        fallback: { reason: 'weekend', name: 'Saturday' },
        unavailable: [{ currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' }],
      });
      const all = await get('/exchange-rates?date=2022-12-31').expect(200);
      expect(all.body.rates.HRK).toBeUndefined();
      const jan = await get('/exchange-rates?date=2023-01-02&symbols=HRK').expect(200);
      expect(jan.body).toMatchObject({
        rates: {},
        unavailable: [{ currency: 'HRK', lastDate: '2022-12-30', reason: 'euro_adopted' }],
      });
      problem(await get('/exchange-rates?date=2023-01-02&base=HRK'), 404);
    });

    it('no publication on or before the date: 404 problem+json', async () => {
      for (const date of ['2018-03-13', '1999-01-04', '1990-06-01']) {
        const res = await get(`/exchange-rates?date=${date}`);
        problem(res, 404);
        expect(res.body.detail).toMatch(date);
      }
    });

    it.each([
      ['date=2023-02-30', 'date'],
      ['date=20230221', 'date'],
      ['date=2023-2-21', 'date'],
      ['date=2999-01-04', 'date'],
      ['base=usd', 'base'],
      ['base=XYZ', 'base'],
      ['symbols=US', 'symbols'],
      ['symbols=USD,XYZ', 'symbols'],
      ['symbols=', 'symbols'],
      ['foo=1', 'foo'],
    ])('400 for %s, naming it', async (query, field) => {
      const res = await get(`/exchange-rates?${query}`);
      problem(res, 400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      if (query.includes('XYZ')) expect(res.body.detail).toMatch('XYZ');
    });

    it('needs a token', async () => {
      problem(await app.http.get('/api/v1/exchange-rates'), 401);
    });
  });

  describe('GET /exchange-rates/convert', () => {
    it('the issue’s example both ways, exact, legs named', async () => {
      const res = await get(
        '/exchange-rates/convert?from=USD&to=GBP&amount=100&date=2023-02-21',
      ).expect(200);
      expect(res.body).toEqual({
        amount: '100',
        from: 'USD',
        to: 'GBP',
        rate: '0.8245030007501875',
        result: '82.45030007501875',
        requestedDate: '2023-02-21',
        effectiveDate: '2023-02-21',
        fallback: null,
        legs: {
          from: { currency: 'USD', rate: '1.0664' },
          to: { currency: 'GBP', rate: '0.87925' },
        },
      });
      const back = await get(
        '/exchange-rates/convert?from=GBP&to=USD&amount=100&date=2023-02-21',
      ).expect(200);
      expect(back.body).toMatchObject({ rate: '1.212851862382713', result: '121.2851862382713' });
    });

    it('exact products; EUR legs are null; fallbacks as for the rates', async () => {
      const jpy = await get(
        '/exchange-rates/convert?from=EUR&to=JPY&amount=1234.5&date=2023-02-21',
      ).expect(200);
      expect(jpy.body).toMatchObject({
        rate: '143.76',
        result: '177471.72',
        legs: { from: null, to: { currency: 'JPY', rate: '143.76' } },
      });
      const neg = await get(
        '/exchange-rates/convert?from=GBP&to=EUR&amount=-0.01&date=2023-12-25',
      ).expect(200);
      expect(neg.body).toMatchObject({
        effectiveDate: '2023-12-22',
        fallback: { reason: 'target_holiday', name: 'Christmas Day' },
        legs: { from: { currency: 'GBP' }, to: null },
      });
      expect(neg.body.result).toMatch(/^-0\.0115\d+$/);
    });

    it('HRK after its last publication: 404 saying when it ended', async () => {
      const res = await get('/exchange-rates/convert?from=HRK&to=EUR&amount=1&date=2022-12-31');
      problem(res, 404);
      expect(res.body.detail).toMatch(/HRK on 2022-12-30/);
      await get('/exchange-rates/convert?from=HRK&to=EUR&amount=1&date=2022-12-30').expect(200);
    });

    it.each([
      ['from=USD&to=GBP&amount=1e5', 'amount'],
      ['from=USD&to=GBP&amount=01', 'amount'],
      ['from=USD&to=GBP&amount=1.', 'amount'],
      ['from=USD&to=GBP&amount=%2B1', 'amount'],
      ['from=USD&to=GBP&amount=1,5', 'amount'],
      [`from=USD&to=GBP&amount=${'9'.repeat(41)}`, 'amount'],
      ['from=USD&to=GBP', 'amount'],
      ['from=USD&amount=1', 'to'],
      ['from=XYZ&to=GBP&amount=1', 'from'],
      ['from=USD&to=GBP&amount=1&date=2023-13-01', 'date'],
    ])('400 for %s, naming it', async (query, field) => {
      const res = await get(`/exchange-rates/convert?${query}`);
      problem(res, 400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('404 before any publication', async () => {
      problem(await get('/exchange-rates/convert?from=USD&to=GBP&amount=1&date=2000-01-03'), 404);
    });
  });

  describe('dataset exchange-rates (CSV upload, admins only)', () => {
    const csv = [
      'rate_date,base,quote,rate,source',
      '2021-06-01,EUR,USD,1.2225,upload',
      '2021-06-01,EUR,HRK,7.5,upload',
      '2021-06-01,EUR,GBP,0.86,upload',
    ].join('\n');

    it('a tenant user may not upload it: 403', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${user}`)
        .field('dataset', 'exchange-rates')
        .field('mode', 'partial')
        .attach('file', Buffer.from(csv), { filename: 'rates.csv', contentType: 'text/csv' });
      problem(res, 403);
    });

    it('an admin upload is answered like fetched rates; bad rows are reported', async () => {
      const bad = `${csv}\n2021-06-05,EUR,CHF,1.1,upload\n2021-06-01,EUR,CHF,-1,upload\n`;
      const id = await upload(app, admin, bad, { dataset: 'exchange-rates' });
      const done = await settled(app, admin, id);
      expect(done.status).toBe('COMPLETED');
      expect(done.counts).toMatchObject({ inserted: 3, invalid: 2 });
      const res = await get('/exchange-rates?date=2021-06-01').expect(200);
      expect(res.body).toMatchObject({
        effectiveDate: '2021-06-01',
        fallback: null,
        rates: { USD: '1.2225', HRK: '7.5', GBP: '0.86' },
      });
      const { rows } = await db.query(
        "SELECT rate::text AS rate, source FROM exchange_rates WHERE rate_date = '2021-06-01' AND quote = 'USD'",
      );
      expect(rows).toEqual([{ rate: '1.2225', source: 'upload' }]);
    });
  });
});
