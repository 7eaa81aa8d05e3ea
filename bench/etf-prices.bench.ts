/**
 * ETF price updates end to end (issue #14), in the default set-up: one process running the
 * built service (`node dist/src/main.js`, API and worker together, default settings), its
 * price provider a local HTTP server answering generated CSVs for the asked range.
 *
 * 1. **backfill**: one ETF, 20 years of NYSE sessions (2006-01-03..2025-12-31, about 5,000
 *    bars): `POST /api/v1/etfs/{symbol}/updates {type: backfill}` until the update has ended.
 * 2. **daily**: 200 ETFs, one `daily` update each for the same past session, all POSTed at
 *    once (one HTTP fetch each), until the last has ended.
 *
 * The provider's files are made before each clock starts. Each round starts a fresh process
 * for each part, so the peak RSS (VmHWM) above idle is that part's own. Baselines in the
 * same round, on the same server and database:
 * - backfill: fetch the same CSV, split its lines and write the bars with one
 *   `INSERT … SELECT FROM unnest(…)` (no tracking, queue, validation or flags);
 * - daily: the same 200 fetches, 4 at a time (the worker's concurrency), each followed by
 *   one single-row INSERT.
 *
 *   npm run bench:etf [-- rounds]
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import { exchangeCalendar } from '../src/common/calendar/exchange-calendar';
import { dayNumber, fromDayNumber } from '../src/common/calendar/iso-date';
import { ETF_UPDATE } from '../src/modules/etf-prices/etf-prices.constants';
import { isinCheckDigit } from '../src/modules/etf-prices/isin';
import { ChildApp } from '../test/utils/child-app';
import { SourceServer } from '../test/utils/source-server';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, peakRssMiB, runBench } from './bench-env';

const FROM = '2006-01-03';
const TO = '2025-12-31';
const DAILY_ETFS = 200;
/** The sessions the daily part updates, one per round (NYSE trading days). */
const DAILY_DAYS = ['2025-12-29', '2025-12-30', '2025-12-31', '2025-12-26', '2025-12-24'];

/** An ISIN of `body` (two letters, nine characters) with its check digit. */
const isin = (body: string): string => `${body}${isinCheckDigit(body)}`;

const sessions = exchangeCalendar('XNYS')!.tradingDays(FROM, TO);

/** A deterministic random walk per symbol: date → CSV line (Adj Close included). */
const lineCache = new Map<string, Map<string, string>>();
function barsOf(symbol: string): Map<string, string> {
  let bars = lineCache.get(symbol);
  if (bars) return bars;
  bars = new Map();
  let seed = [...symbol].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  let close = 40 + (seed % 200);
  for (const date of sessions) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    close = Math.max(1, close * (1 + ((seed % 2001) - 1000) / 50_000));
    const c = close.toFixed(4);
    const high = (close * 1.006).toFixed(4);
    const low = (close * 0.994).toFixed(4);
    const open = (close * (1 + ((seed % 11) - 5) / 1000)).toFixed(4);
    bars.set(
      date,
      `${date},${open},${high},${low},${c},${(close * 0.98).toFixed(4)},${1000 + (seed % 90_000)}\n`,
    );
  }
  lineCache.set(symbol, bars);
  return bars;
}

/** The price provider: the CSV of `{symbol}` for the asked range. */
function startProvider(): Promise<SourceServer> {
  return SourceServer.start((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const symbol = decodeURIComponent(url.pathname.split('/').pop()!).replace(/\.csv$/, '');
    const from = url.searchParams.get('from') ?? FROM;
    const to = url.searchParams.get('to') ?? TO;
    const bars = barsOf(symbol);
    let body = 'Date,Open,High,Low,Close,Adj Close,Volume\n';
    for (let n = dayNumber(from); n <= dayNumber(to); n += 1) {
      body += bars.get(fromDayNumber(n)) ?? '';
    }
    res.writeHead(200, { 'content-type': 'text/csv' }).end(body);
  });
}

async function api(
  url: string,
  token: string,
  path: string,
  body: unknown,
): Promise<{ id: string }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id: string };
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls etf_updates until none is still to end; then the newest end, Unix ms. */
async function untilEnded(db: Client, ids: string[]): Promise<number> {
  for (;;) {
    const { rows } = await db.query(
      `SELECT count(*) FILTER (WHERE status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED'))::int AS n,
              count(*) FILTER (WHERE status <> 'COMPLETED')::int AS bad,
              (extract(epoch FROM max(completed_at)) * 1000)::float8 AS last
         FROM etf_updates WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    if (rows[0].n === 0) {
      if (rows[0].bad > 0) throw new Error(`${rows[0].bad} updates did not complete`);
      return rows[0].last as number;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function createEtf(url: string, token: string, symbol: string, n: number) {
  await api(url, token, '/api/v1/etfs', {
    symbol,
    isin: isin(`US${String(800000000 + n)}`),
    name: `Bench ${symbol}`,
    currency: 'USD',
    quoteUnit: 'USD',
    exchange: 'XNYS',
    active: true,
  });
}

interface Ctx {
  env: Record<string, string>;
  base: Record<string, string>;
  token: string;
  db: Client;
  provider: SourceServer;
}

/** A fresh process; `prepare` runs before idle RSS is read. */
async function withProcess<T>(
  ctx: Ctx,
  prepare: (child: ChildApp) => Promise<void>,
  timed: (child: ChildApp) => Promise<T>,
): Promise<{ result: T; idle: number; peak: number }> {
  const child = await ChildApp.start(ctx.base, {}, 'dist/src/main.js');
  try {
    await prepare(child);
    await new Promise((r) => setTimeout(r, 500)); // settle after start-up
    const idle = peakRssMiB(child.proc.pid!);
    const result = await timed(child);
    return { result, idle, peak: peakRssMiB(child.proc.pid!) };
  } finally {
    await child.stop();
  }
}

async function backfill(ctx: Ctx, round: number) {
  const symbol = `BF${round}`;
  const run = await withProcess(
    ctx,
    async (child) => {
      await createEtf(child.url, ctx.token, symbol, 900 + round);
      barsOf(symbol);
    },
    async (child) => {
      const t0 = Date.now();
      const job = await api(child.url, ctx.token, `/api/v1/etfs/${symbol}/updates`, {
        type: 'backfill',
        from: FROM,
        to: TO,
      });
      const end = await untilEnded(ctx.db, [job.id]);
      const { rows } = await ctx.db.query(
        `SELECT counts, cardinality(missing_dates) AS missing FROM etf_updates WHERE id = $1`,
        [job.id],
      );
      return { seconds: (end - t0) / 1000, counts: rows[0].counts, missing: rows[0].missing };
    },
  );
  return run;
}

async function bareBackfill(ctx: Ctx, round: number): Promise<number> {
  barsOf(`BARE${round}`);
  const t0 = performance.now();
  const text = await (
    await fetch(`${ctx.provider.url}/prices/BARE${round}.csv?from=${FROM}&to=${TO}`)
  ).text();
  const cols: string[][] = [[], [], [], [], [], [], []];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const cells = line.split(',');
    for (let i = 0; i < 7; i += 1) cols[i].push(cells[i]);
  }
  await ctx.db.query(
    `INSERT INTO bare_prices (etf_id, price_date, open, high, low, close, adj_close, volume)
     SELECT $1, d, o, h, l, c, a, v
       FROM unnest($2::date[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[], $7::numeric[], $8::bigint[])
         AS t(d, o, h, l, c, a, v)`,
    [`BARE${round}`, ...cols],
  );
  return (performance.now() - t0) / 1000;
}

async function daily(ctx: Ctx, round: number) {
  const day = DAILY_DAYS[(round - 1) % DAILY_DAYS.length];
  const symbols = Array.from({ length: DAILY_ETFS }, (_, i) => `D${round}X${i}`);
  return withProcess(
    ctx,
    async (child) => {
      for (const [i, s] of symbols.entries()) {
        await createEtf(child.url, ctx.token, s, round * 1000 + i);
        barsOf(s); // the provider's files, made before the clock starts
      }
    },
    async (child) => {
      const before = ctx.provider.requests.length;
      const t0 = Date.now();
      const ids = await Promise.all(
        symbols.map(
          async (s) =>
            (
              await api(child.url, ctx.token, `/api/v1/etfs/${s}/updates`, {
                type: 'daily',
                from: day,
                to: day,
              })
            ).id,
        ),
      );
      const posted = (Date.now() - t0) / 1000;
      const end = await untilEnded(ctx.db, ids);
      return {
        seconds: (end - t0) / 1000,
        posted,
        fetches: ctx.provider.requests.length - before,
        day,
      };
    },
  );
}

async function bareDaily(ctx: Ctx, round: number): Promise<number> {
  const day = DAILY_DAYS[(round - 1) % DAILY_DAYS.length];
  const pool = new Pool({ connectionString: ctx.env.DATABASE_URL, max: 4 });
  pool.on('error', () => undefined);
  const concurrency = ETF_UPDATE.concurrency ?? 4;
  for (let i = 0; i < DAILY_ETFS; i += 1) barsOf(`BD${round}X${i}`);
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < DAILY_ETFS) {
          const symbol = `BD${round}X${next++}`;
          const text = await (
            await fetch(`${ctx.provider.url}/prices/${symbol}.csv?from=${day}&to=${day}`)
          ).text();
          const c = text.split('\n')[1].split(',');
          await pool.query(
            `INSERT INTO bare_prices (etf_id, price_date, open, high, low, close, adj_close, volume)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [symbol, ...c],
          );
        }
      }),
    );
    return (performance.now() - t0) / 1000;
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const provider = await startProvider();
  const env = benchEnv({
    ETF_PRICES_URL: `${provider.url}/prices/{symbol}.csv?from={from}&to={to}`,
  });
  // Schema and an admin token from an in-process app, closed before anything is timed.
  const setup = await startTestApp(env);
  const token = await setup.token({ sub: 'bench', tenant: null, roles: ['admin'] });
  await setup.close();
  execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
  const base = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    UPLOAD_DIR: env.UPLOAD_DIR,
    ETF_PRICES_URL: env.ETF_PRICES_URL,
    LOG_LEVEL: 'warn',
  };
  const db = new Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  await db.query(
    `CREATE TABLE bare_prices (etf_id text, price_date date, open numeric, high numeric, low numeric,
       close numeric, adj_close numeric, volume bigint, PRIMARY KEY (etf_id, price_date))`,
  );
  const ctx: Ctx = { env, base, token, db, provider };
  console.log(`machine: ${machine()}`);
  console.log(
    `etf-prices: backfill ${FROM}..${TO} (${sessions.length} NYSE sessions) of one ETF; daily update of ${DAILY_ETFS} ETFs; one process (dist/src/main.js, defaults), fresh for each part`,
  );
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const r = {
    backfill: [] as number[],
    bareBackfill: [] as number[],
    daily: [] as number[],
    bareDaily: [] as number[],
  };
  const rss = { backfill: [] as number[], daily: [] as number[] };
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const bb = await bareBackfill(ctx, round);
      const b = await backfill(ctx, round);
      r.bareBackfill.push(bb);
      r.backfill.push(b.result.seconds);
      rss.backfill.push(b.peak - b.idle);
      console.log(
        `round ${round} backfill: ${b.result.seconds.toFixed(2)} s (bare ${bb.toFixed(2)} s, ratio ${(b.result.seconds / bb).toFixed(1)}×); ` +
          `RSS idle ${b.idle} MiB, peak ${b.peak} MiB (+${b.peak - b.idle}); counts ${JSON.stringify(b.result.counts)}, missing ${b.result.missing}`,
      );
      const d = await daily(ctx, round);
      const bd = await bareDaily(ctx, round);
      r.daily.push(d.result.seconds);
      r.bareDaily.push(bd);
      rss.daily.push(d.peak - d.idle);
      console.log(
        `round ${round} daily ${d.result.day}: ${d.result.seconds.toFixed(2)} s for ${DAILY_ETFS} updates (POSTed by ${d.result.posted.toFixed(2)} s; ${d.result.fetches} fetches) ` +
          `(bare ${bd.toFixed(2)} s, ratio ${(d.result.seconds / bd).toFixed(1)}×); RSS idle ${d.idle} MiB, peak ${d.peak} MiB (+${d.peak - d.idle})`,
      );
    }
  } finally {
    await db.end();
    await provider.close();
    await cleanupEnv(env);
  }
  console.log(
    `summary (lower median of ${rounds}): backfill ${median(r.backfill).toFixed(2)} s vs bare ${median(r.bareBackfill).toFixed(2)} s, peak RSS +${median(rss.backfill)} MiB; ` +
      `daily ×${DAILY_ETFS} ${median(r.daily).toFixed(2)} s vs bare ${median(r.bareDaily).toFixed(2)} s, peak RSS +${median(rss.daily)} MiB`,
  );
}

runBench(main);
