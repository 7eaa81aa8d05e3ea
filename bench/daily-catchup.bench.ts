/**
 * A 7-day catch-up of the daily-update calendar (issue #15): the service comes back on
 * Saturday 2026-03-14 at 08:00 UTC after a week away, with three sources (exchange-rates,
 * etf-prices:XNYS and etf-prices:XETR) and 200 active ETFs (100 per exchange), all served
 * by a local HTTP fixture server (the ECB's 90-day and daily files from the real history
 * fixture; each ETF's price CSV generated here, answering the asked range). One
 * `createDueSlots()` (what the cron's tick does) creates the 21 slots (7 days × 3 sources:
 * 5 open days and a weekend each); the clock runs until the last slot has ended. Every
 * request is counted per source and day: each file must be fetched once per day and
 * source/ETF, never on a closed day.
 *
 * Baselines, measured in the same run on fresh databases, alternated with the catch-up:
 * - "direct": the same domain jobs (5 ECB day updates, 1,000 ETF daily updates) started
 *   directly, oldest day first, without the calendar, until the last has ended;
 * - "bare": the same 1,005 HTTP fetches, with the ETF workers' concurrency (4), each
 *   followed by one INSERT of what it read, through a `pg` pool (no tracking, no queue).
 *
 * The catch-up also prints when the last child (domain job) ended: the slots poll their
 * children every CHILD_POLL_MS (500 ms), so the last slot ends up to that much later.
 *
 *   npm run bench:daily [-- rounds]
 */
import 'reflect-metadata';
import { Client, Pool } from 'pg';
import { exchangeCalendar } from '../src/common/calendar/exchange-calendar';
import { dayNumber, fromDayNumber } from '../src/common/calendar/iso-date';
import { appClock } from '../src/common/util/clock';
import { DailyUpdatesService } from '../src/modules/daily-updates/daily-updates.service';
import { ETF_UPDATE } from '../src/modules/etf-prices/etf-prices.constants';
import { EtfUpdatesService } from '../src/modules/etf-prices/etf-updates.service';
import { isinCheckDigit } from '../src/modules/etf-prices/isin';
import { ExchangeRatesService } from '../src/modules/exchange-rates/exchange-rates.service';
import { isTargetClosed } from '../src/modules/exchange-rates/target-calendar';
import { ecbHistory, ecbXml } from '../test/utils/ecb-files';
import { SourceServer } from '../test/utils/source-server';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, runBench } from './bench-env';

const NOW = '2026-03-14T08:00:00Z';
/** The catch-up's days: DAILY_CATCHUP_DAYS (7) back from Saturday 03-14, which is not due. */
const FIRST = '2026-03-07';
const LAST = '2026-03-13';
const EXCHANGES = ['XNYS', 'XETR'] as const;
const ETFS_PER_EXCHANGE = 100;
const ECB = 'exchange-rates';
const sourceOf = (mic: string) => `etf-prices:${mic}`;

const days: string[] = [];
for (let n = dayNumber(FIRST); n <= dayNumber(LAST); n += 1) days.push(fromDayNumber(n));

/** An ISIN of `body` (two letters, nine characters) with its check digit. */
const isin = (body: string): string => `${body}${isinCheckDigit(body)}`;

interface Etf {
  symbol: string;
  mic: string;
  isin: string;
  /** date → CSV line. */
  bars: Map<string, string>;
}

/** 100 ETFs per exchange, each with a price on every trading day of the quarter. */
function makeEtfs(): Etf[] {
  const etfs: Etf[] = [];
  for (const mic of EXCHANGES) {
    const calendar = exchangeCalendar(mic)!;
    for (let i = 0; i < ETFS_PER_EXCHANGE; i += 1) {
      const symbol = mic === 'XNYS' ? `BN${String(i).padStart(3, '0')}` : `BX${i}.DE`;
      const bars = new Map<string, string>();
      let close = 50 + i;
      for (const date of calendar.tradingDays('2026-01-02', LAST)) {
        close = Math.max(1, close * (1 + (((i * 7919 + dayNumber(date)) % 21) - 10) / 1000));
        const c = close.toFixed(2);
        bars.set(
          date,
          `${date},${c},${(close * 1.01).toFixed(2)},${(close * 0.99).toFixed(2)},${c},${1000 + i}\n`,
        );
      }
      const country = mic === 'XNYS' ? 'US' : 'IE';
      etfs.push({ symbol, mic, isin: isin(`${country}${String(900000000 + i)}`), bars });
    }
  }
  return etfs;
}

/** The fixture server: what it serves, and every request, as (source, day). */
class Fixtures {
  source!: SourceServer;
  url = '';
  readonly fetches: { source: string; symbol: string; day: string }[] = [];
  private ecb90d = '';
  private ecbDaily = '';

  constructor(readonly etfs: Map<string, Etf>) {}

  async start(): Promise<void> {
    const history = (await ecbHistory()).filter((d) => d.date <= LAST).slice(0, 64);
    this.ecb90d = ecbXml(history);
    this.ecbDaily = ecbXml(history.slice(0, 1));
    this.source = await SourceServer.start((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname.startsWith('/ecb/')) {
        // The ECB's files name no day: counted per file; the day is the ECB job's.
        this.fetches.push({ source: ECB, symbol: 'ECB', day: url.pathname.split('/').pop()! });
        const body = url.pathname.endsWith('eurofxref-daily.xml') ? this.ecbDaily : this.ecb90d;
        return void res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
      }
      const symbol = decodeURIComponent(url.pathname.split('/').pop()!).replace(/\.csv$/, '');
      const etf = this.etfs.get(symbol);
      if (!etf) return void res.writeHead(404).end('unknown');
      const from = url.searchParams.get('from')!;
      const to = url.searchParams.get('to')!;
      this.fetches.push({
        source: sourceOf(etf.mic),
        symbol,
        day: from === to ? from : `${from}..${to}`,
      });
      let body = 'Date,Open,High,Low,Close,Volume\n';
      for (let n = dayNumber(from); n <= dayNumber(to); n += 1) {
        body += etf.bars.get(fromDayNumber(n)) ?? '';
      }
      res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
    });
    this.url = this.source.url;
  }

  stop(): Promise<void> {
    return this.source.close();
  }
}

/** A fresh app (its own database and Redis prefix) with the 200 ETFs, at NOW. */
async function freshApp(fixtures: Fixtures, etfs: Etf[]) {
  const env = benchEnv({
    APP_ROLE: 'all',
    ECB_BASE_URL: `${fixtures.url}/ecb`,
    ETF_PRICES_URL: `${fixtures.url}/prices/{symbol}.csv?from={from}&to={to}`,
  });
  appClock.now = () => new Date(NOW);
  const app = await startTestApp(env);
  const admin = await app.token({ sub: 'bench', tenant: null, roles: ['admin'] });
  for (const etf of etfs) {
    const res = await fetch(`${app.url}/api/v1/etfs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        symbol: etf.symbol,
        name: etf.symbol,
        isin: etf.isin,
        currency: etf.mic === 'XNYS' ? 'USD' : 'EUR',
        quoteUnit: etf.mic === 'XNYS' ? 'USD' : 'EUR',
        exchange: etf.mic,
        active: true,
      }),
    });
    if (res.status !== 201) throw new Error(`ETF ${etf.symbol}: ${res.status} ${await res.text()}`);
  }
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  await new Promise((r) => setTimeout(r, 300)); // settle after start-up
  return {
    nest: app.app,
    db,
    close: async () => {
      await db.end();
      await app.close();
      await cleanupEnv(env);
    },
  };
}

/** Polls `table` until none of its rows is still to end; then the newest end, Unix ms. */
async function untilEnded(db: Client, table: string): Promise<number> {
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED'))::int AS n,
              (extract(epoch FROM max(coalesce(completed_at, updated_at))) * 1000)::float8 AS last
         FROM ${table}`,
    );
    if (rows[0].n === 0 && rows[0].last !== null) return rows[0].last as number;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const openEcbDays = days.filter((d) => !isTargetClosed(d).closed);
const openDays = (mic: string) => exchangeCalendar(mic)!.tradingDays(FIRST, LAST);

/** The catch-up: one createDueSlots() at NOW, until every slot has ended. */
async function calendarRun(fixtures: Fixtures, etfs: Etf[]) {
  const app = await freshApp(fixtures, etfs);
  try {
    fixtures.fetches.length = 0;
    const started = Date.now();
    const created = await app.nest.get(DailyUpdatesService).createDueSlots();
    const ended = await untilEnded(app.db, 'daily_updates');
    const lastChild = Math.max(
      await untilEnded(app.db, 'etf_updates'),
      await untilEnded(app.db, 'exchange_rate_updates'),
    );
    const { rows } = await app.db.query(
      `SELECT update_type AS type, update_date::text AS day, state, children_total AS children
         FROM daily_updates ORDER BY update_type, update_date`,
    );
    const ecb = await app.db.query(
      `SELECT update_date::text AS day, attempts FROM exchange_rate_updates ORDER BY update_date`,
    );
    return {
      seconds: (ended - started) / 1000,
      lastChildSeconds: (lastChild - started) / 1000,
      created: created.length,
      slots: rows as { type: string; day: string; state: string; children: number }[],
      ecbAttempts: new Map(ecb.rows.map((r) => [r.day as string, r.attempts as number])),
      fetches: [...fixtures.fetches],
    };
  } finally {
    await app.close();
  }
}

/** The same domain jobs started directly (no calendar), oldest day first. */
async function directRun(fixtures: Fixtures, etfs: Etf[]) {
  const app = await freshApp(fixtures, etfs);
  try {
    fixtures.fetches.length = 0;
    const rates = app.nest.get(ExchangeRatesService);
    const updates = app.nest.get(EtfUpdatesService);
    const started = Date.now();
    for (const day of days) {
      if (openEcbDays.includes(day)) await rates.updateDay(day, null);
      for (const etf of etfs) {
        if (openDays(etf.mic).includes(day)) {
          await updates.start(etf.symbol, { type: 'daily', from: day, to: day }, null);
        }
      }
    }
    const enqueued = (Date.now() - started) / 1000;
    const ecbEnd = await untilEnded(app.db, 'exchange_rate_updates');
    const etfEnd = await untilEnded(app.db, 'etf_updates');
    const { rows } = await app.db.query(
      `SELECT (SELECT count(*) FROM etf_updates WHERE status = 'COMPLETED')::int AS etf,
              (SELECT count(*) FROM exchange_rate_updates WHERE status = 'COMPLETED')::int AS ecb`,
    );
    return {
      seconds: (Math.max(ecbEnd, etfEnd) - started) / 1000,
      enqueued,
      jobs: rows[0] as { etf: number; ecb: number },
      fetches: [...fixtures.fetches],
    };
  } finally {
    await app.close();
  }
}

/** The same fetches, 4 at a time, each followed by one INSERT through pg. */
async function bareRun(fixtures: Fixtures, etfs: Etf[]) {
  const env = benchEnv();
  const app = await startTestApp(env); // creates the database; closed at once
  await app.close();
  const concurrency = ETF_UPDATE.concurrency ?? 4;
  const db = new Pool({ connectionString: env.DATABASE_URL, max: concurrency });
  // pool.end() resolves before its connections have closed: the DROP DATABASE … WITH (FORCE)
  // of the clean-up may still end one of them, which must not take the process down.
  db.on('error', () => undefined);
  try {
    await db.query(
      `CREATE TABLE bare_fetches (source text, symbol text, day date, body text, PRIMARY KEY (symbol, day))`,
    );
    const work: { source: string; symbol: string; day: string; url: string }[] = [];
    for (const day of days) {
      if (openEcbDays.includes(day)) {
        const file = day === LAST ? 'eurofxref-daily.xml' : 'eurofxref-hist-90d.xml';
        work.push({ source: ECB, symbol: 'ECB', day, url: `${fixtures.url}/ecb/${file}` });
      }
      for (const etf of etfs) {
        if (!openDays(etf.mic).includes(day)) continue;
        const url = `${fixtures.url}/prices/${encodeURIComponent(etf.symbol)}.csv?from=${day}&to=${day}`;
        work.push({ source: sourceOf(etf.mic), symbol: etf.symbol, day, url });
      }
    }
    fixtures.fetches.length = 0;
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < work.length) {
          const item = work[next++];
          const body = await (await fetch(item.url)).text();
          await db.query(`INSERT INTO bare_fetches VALUES ($1, $2, $3, $4)`, [
            item.source,
            item.symbol,
            item.day,
            body,
          ]);
        }
      }),
    );
    return { seconds: (Date.now() - started) / 1000, fetches: work.length };
  } finally {
    await db.end();
    await cleanupEnv(env);
  }
}

/** Fetches per source and day (ETF sources: also the most any one ETF was asked for a day). */
function fetchTable(
  fetches: { source: string; symbol: string; day: string }[],
  etfs: Etf[],
  ecbAttempts: ReadonlyMap<string, number>,
) {
  const sources = [ECB, ...EXCHANGES.map(sourceOf)];
  const lines: string[] = [];
  lines.push(`  | source | ${days.map((d) => d.slice(5)).join(' | ')} | total |`);
  for (const source of sources) {
    const own = fetches.filter((f) => f.source === source);
    const cells = days.map((day) => {
      // The ECB's files name no day: its cells are the attempts (one download each) of the
      // day's ECB job; the total is the server's count.
      if (source === ECB) return String(ecbAttempts.get(day) ?? 0);
      const ofDay = own.filter((f) => f.day === day);
      return String(ofDay.length);
    });
    lines.push(`  | ${source} | ${cells.join(' | ')} | ${own.length} |`);
  }
  // Every (ETF, open day) fetched exactly once, nothing else.
  const seen = new Map<string, number>();
  for (const f of fetches) {
    if (f.source !== ECB)
      seen.set(`${f.symbol} ${f.day}`, (seen.get(`${f.symbol} ${f.day}`) ?? 0) + 1);
  }
  const expected = etfs.flatMap((e) => openDays(e.mic).map((d) => `${e.symbol} ${d}`));
  const twice = [...seen.values()].filter((n) => n > 1).length;
  const missing = expected.filter((k) => !seen.has(k)).length;
  const extra = [...seen.keys()].filter((k) => !expected.includes(k)).length;
  const ecbFiles = fetches.filter((f) => f.source === ECB).map((f) => f.day);
  lines.push(
    `  ETF (symbol, day) pairs: ${expected.length} expected, ${seen.size} fetched, ${twice} more than once, ${missing} missing, ${extra} unexpected; ` +
      `ECB files: ${ecbFiles.length} (${[...new Set(ecbFiles)].map((f) => `${ecbFiles.filter((x) => x === f).length}× ${f}`).join(', ')}) for ${openEcbDays.length} open TARGET days`,
  );
  return lines.join('\n');
}

async function main() {
  const rounds = Number(process.argv[2] ?? 3);
  const etfs = makeEtfs();
  const fixtures = new Fixtures(new Map(etfs.map((e) => [e.symbol, e])));
  await fixtures.start();
  console.log(`machine: ${machine()}`);
  console.log(
    `daily-catchup: back at ${NOW} after a week away; slots ${FIRST}..${LAST} × 3 sources; ` +
      `${etfs.length} ETFs (${ETFS_PER_EXCHANGE} XNYS, ${ETFS_PER_EXCHANGE} XETR); ` +
      `open days: TARGET ${openEcbDays.length}, XNYS ${openDays('XNYS').length}, XETR ${openDays('XETR').length}`,
  );
  const results: { calendar: number; direct: number; bare: number }[] = [];
  try {
    for (let round = 1; round <= rounds; round += 1) {
      // Alternate the order, so that neither always runs on a warmer or a busier machine.
      const order =
        round % 2 === 1 ? ['calendar', 'direct', 'bare'] : ['bare', 'direct', 'calendar'];
      const r = { calendar: 0, direct: 0, bare: 0 };
      for (const kind of order) {
        if (kind === 'calendar') {
          const run = await calendarRun(fixtures, etfs);
          r.calendar = run.seconds;
          const states = new Map<string, number>();
          for (const s of run.slots) states.set(s.state, (states.get(s.state) ?? 0) + 1);
          console.log(
            `round ${round} calendar: ${run.seconds.toFixed(2)} s to the last slot ended ` +
              `(its last child ended at ${run.lastChildSeconds.toFixed(2)} s); ` +
              `${run.created} slots created (${[...states].map(([s, n]) => `${n} ${s}`).join(', ')}); ` +
              `${run.fetches.length} fetches`,
          );
          const notDone = run.slots.filter(
            (s) => s.state !== (s.children === 0 ? 'no_data' : 'done'),
          );
          if (notDone.length) console.log(`  NOT DONE: ${JSON.stringify(notDone)}`);
          console.log(fetchTable(run.fetches, etfs, run.ecbAttempts));
        } else if (kind === 'direct') {
          const run = await directRun(fixtures, etfs);
          r.direct = run.seconds;
          console.log(
            `round ${round} direct: ${run.seconds.toFixed(2)} s to the last job ended ` +
              `(all started by ${run.enqueued.toFixed(2)} s); ` +
              `${run.jobs.etf} ETF and ${run.jobs.ecb} ECB jobs completed; ${run.fetches.length} fetches`,
          );
        } else {
          const run = await bareRun(fixtures, etfs);
          r.bare = run.seconds;
          console.log(
            `round ${round} bare: ${run.seconds.toFixed(2)} s for ${run.fetches} fetches + inserts (4 at a time)`,
          );
        }
      }
      results.push(r);
      console.log(
        `round ${round}: calendar / direct = ${(r.calendar / r.direct).toFixed(2)}, calendar / bare = ${(r.calendar / r.bare).toFixed(2)}`,
      );
    }
  } finally {
    await fixtures.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const m = {
    calendar: median(results.map((r) => r.calendar)),
    direct: median(results.map((r) => r.direct)),
    bare: median(results.map((r) => r.bare)),
  };
  console.log(
    `summary (lower median of ${rounds}): calendar ${m.calendar.toFixed(2)} s, direct ${m.direct.toFixed(2)} s, bare ${m.bare.toFixed(2)} s; ` +
      `calendar / direct ${(m.calendar / m.direct).toFixed(2)}, calendar / bare ${(m.calendar / m.bare).toFixed(2)}`,
  );
}

runBench(main);
