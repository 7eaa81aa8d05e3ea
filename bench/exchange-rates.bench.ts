/**
 * The read API of the ECB rates on a full history: seeds every TARGET publication day from
 * 1999-01-04 to today (about 7,000) with the currencies the ECB publishes on each (about 30:
 * a fixture day's currencies plus the ended ones, each only within its life, currency-life.ts),
 * rates synthesized from the fixture's (numeric, in SQL), then times 1,000 sequential
 * GET /exchange-rates and 1,000 GET /exchange-rates/convert over HTTP, end to end (auth,
 * validation and the OpenAPI-described answer included), at random dates (weekends and
 * holidays too, so fallbacks are in the mix), bases and symbols. Target: p99 < 10 ms.
 *
 *   npm run bench:rates [-- requests]
 */
import 'reflect-metadata';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { CURRENCY_LIVES, isCurrencyExpected } from '../src/modules/exchange-rates/currency-life';
import { readEcbXml } from '../src/modules/exchange-rates/ecb-xml';
import { ExchangeRatesQuery } from '../src/modules/exchange-rates/exchange-rates.query';
import { berlinToday } from '../src/modules/exchange-rates/rates-answer';
import {
  dayNumber,
  FIRST_PUBLICATION_DAY,
  fromDayNumber,
  publicationDays,
} from '../src/modules/exchange-rates/target-calendar';
import { fixture } from '../test/utils/fixtures';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';
import { random } from '../test/utils/random';

/** Base rates per currency: the fixture's last HRK day, plus a plausible figure for the ended ones. */
async function baseRates(): Promise<Record<string, string>> {
  const name = 'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml';
  for await (const day of readEcbXml(Readable.from([fixture('ecb', name)]))) {
    if (day.date === '2022-12-30') {
      return {
        ...day.rates,
        RUB: '70.5',
        TRL: '1836200',
        ROL: '36090',
        SIT: '239.64',
        CYP: '0.585',
        MTL: '0.4293',
        SKK: '30.126',
        EEK: '15.6466',
        LVL: '0.7028',
        LTL: '3.4528',
      };
    }
  }
  throw new Error(`${name} has no 2022-12-30`);
}

async function seed(databaseUrl: string, days: string[], rates: Record<string, string>) {
  const dates: string[] = [];
  const quotes: string[] = [];
  const values: string[] = [];
  for (const day of days) {
    for (const [quote, rate] of Object.entries(rates)) {
      if (!Object.hasOwn(CURRENCY_LIVES, quote) || !isCurrencyExpected(quote, day)) continue;
      dates.push(day);
      quotes.push(quote);
      values.push(rate);
    }
  }
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    // A drift of ±10 % per row, numeric all the way (no float in the stored figures).
    await db.query(
      `INSERT INTO exchange_rates (rate_date, base, quote, rate, source)
       SELECT d, 'EUR', q, round(r::numeric * (0.9 + (abs(hashint4(n::int)) % 2001)::numeric / 10000), 6), 'bench'
       FROM unnest($1::date[], $2::text[], $3::text[]) WITH ORDINALITY AS t(d, q, r, n)`,
      [dates, quotes, values],
    );
    await db.query('VACUUM ANALYZE exchange_rates');
  } finally {
    await db.end();
  }
  return dates.length;
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 1000);
  const env = benchEnv({ APP_ROLE: 'api' });
  const app = await startTestApp(env);
  try {
    console.log(`machine: ${machine()}`);
    const today = berlinToday();
    const days = publicationDays(FIRST_PUBLICATION_DAY, today);
    const rates = await baseRates();
    let started = performance.now();
    const rows = await seed(env.DATABASE_URL, days, rates);
    console.log(
      `seeded ${days.length.toLocaleString('en')} days, ${rows.toLocaleString('en')} rates in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const token = await app.token({ tenant: 'acme' });
    const next = random(13);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
    const first = dayNumber(FIRST_PUBLICATION_DAY);
    const span = dayNumber(today) - first + 1;
    const anyDay = () => fromDayNumber(first + Math.floor(next() * span));
    const common = ['USD', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'SEK', 'NOK', 'PLN', 'CZK'];
    const rateCase = () => {
      const base = pick(['EUR', 'EUR', 'USD', 'GBP']);
      const all = next() < 0.5;
      const symbols = [pick(common), pick(common), 'HRK'].filter((c) => c !== base);
      return `/api/v1/exchange-rates?date=${anyDay()}&base=${base}${all ? '' : `&symbols=${[...new Set(symbols)].join(',')}`}`;
    };
    const convertCase = () => {
      const from = pick(['EUR', ...common]);
      const to = pick(common.filter((c) => c !== from));
      const amount = `${Math.floor(next() * 1_000_000)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`;
      return `/api/v1/exchange-rates/convert?from=${from}&to=${to}&amount=${amount}&date=${anyDay()}`;
    };
    // What the figures are made of: the query alone (in process, through the ORM connection;
    // run first, so that it also brings the table into the cache as a serving replica has it),
    // the authenticated stack without a database (GET /datasets) and the HTTP stack alone.
    const query = app.app.get(ExchangeRatesQuery);
    const inProcess: number[] = [];
    for (let i = 0; i < requests + 50; i++) {
      const date = anyDay();
      started = performance.now();
      await query.lastDayOnOrBefore(date);
      if (i >= 50) inProcess.push(performance.now() - started);
    }
    console.log('| request | n | fallbacks | p50 | p90 | p99 | max |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const [name, make] of [
      ['GET /exchange-rates', rateCase],
      ['GET /exchange-rates/convert', convertCase],
    ] as const) {
      // Warm-up: the first requests compile code paths and fill the pools.
      for (let i = 0; i < 50; i++) {
        await fetch(`${app.url}${make()}`, { headers: { authorization: `Bearer ${token}` } });
      }
      const times: number[] = [];
      let fallbacks = 0;
      for (let i = 0; i < requests; i++) {
        const path = make();
        started = performance.now();
        const res = await fetch(`${app.url}${path}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const body = (await res.json()) as { fallback?: unknown };
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
        if (body.fallback) fallbacks += 1;
      }
      const sorted = times.sort((a, b) => a - b);
      const ms = (p: number) => `${percentile(sorted, p).toFixed(2)} ms`;
      console.log(
        `| ${name} | ${requests} | ${fallbacks} | ${ms(50)} | ${ms(90)} | ${ms(99)} | ${sorted.at(-1)!.toFixed(2)} ms |`,
      );
    }
    const probe: number[] = [];
    for (let i = 0; i < requests + 50; i++) {
      started = performance.now();
      const res = await fetch(`${app.url}/health/live`);
      await res.text();
      if (i >= 50) probe.push(performance.now() - started);
    }
    const datasets: number[] = [];
    for (let i = 0; i < requests + 50; i++) {
      started = performance.now();
      const res = await fetch(`${app.url}/api/v1/datasets`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.text();
      if (i >= 50) datasets.push(performance.now() - started);
    }
    for (const [name, times] of [
      ['GET /datasets (authenticated, no database)', datasets],
      ['the query alone (lastDayOnOrBefore, in process)', inProcess],
      ['GET /health/live (the HTTP stack alone)', probe],
    ] as const) {
      const sorted = times.sort((a, b) => a - b);
      const ms = (p: number) => `${percentile(sorted, p).toFixed(2)} ms`;
      console.log(
        `| ${name} | ${requests} | - | ${ms(50)} | ${ms(90)} | ${ms(99)} | ${sorted.at(-1)!.toFixed(2)} ms |`,
      );
    }
    console.log(`dates drawn from ${FIRST_PUBLICATION_DAY} to ${today}`);
  } finally {
    await app.close();
    await cleanupEnv(env);
  }
}

runBench(main);
