import { Client } from 'pg';
import { PG_ADMIN_URL } from './test-env';

/**
 * The old system's tables exactly as seed 002 writes them ("Current State Analysis"). The
 * seed gives no DDL for the legacy `etfs`, only that etf_updates references `etfs(id)`: the
 * minimal table that reference needs comes first.
 */
export const LEGACY_DDL = `
CREATE TABLE etfs (id VARCHAR PRIMARY KEY);

CREATE TABLE task_status (
    id SERIAL PRIMARY KEY,
    task_type VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    resource_id INTEGER NOT NULL,
    error VARCHAR,
    task_metadata JSONB,
    created_at TIMESTAMP DEFAULT NOW(),
    updated_at TIMESTAMP DEFAULT NOW()
);

CREATE TABLE etf_updates (
    id SERIAL PRIMARY KEY,
    etf_id VARCHAR NOT NULL REFERENCES etfs(id),
    update_type VARCHAR NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL,
    status VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    error VARCHAR,
    missing_dates DATE[],
    retry_count INTEGER NOT NULL DEFAULT 0,
    notes VARCHAR
);

CREATE TABLE daily_update_tracking (
    date DATE NOT NULL,
    update_type VARCHAR(50) NOT NULL,
    attempted BOOLEAN DEFAULT FALSE,
    data_found BOOLEAN DEFAULT FALSE,
    notes TEXT,
    PRIMARY KEY (date, update_type)
);
`;

/** Legacy ETF ids; the last two are not in the new system's etfs (`spy` differs in case only). */
export const LEGACY_ETFS = ['SPY', 'EWG', 'VWCE.DE', 'GONE', 'spy'];

/** The new system's ETFs (real ISINs), inserted in the target. */
export const TARGET_ETFS_SQL = `INSERT INTO etfs (symbol, isin, name, currency, quote_unit, exchange) VALUES
  ('SPY', 'US78462F1030', 'SPDR S&P 500 ETF Trust', 'USD', 'USD', 'XNYS'),
  ('EWG', 'US4642868065', 'iShares MSCI Germany ETF', 'USD', 'USD', 'XNYS'),
  ('VWCE.DE', 'IE00BK5BQT80', 'Vanguard FTSE All-World UCITS ETF (Acc)', 'EUR', 'EUR', 'XETR')
  ON CONFLICT DO NOTHING`;

export interface LegacySizes {
  taskStatus: number;
  etfUpdates: number;
  daily: number;
}

/**
 * Realistic rows, as the old system wrote them: task_status mostly other task types and
 * exchange-rate polls (several per publication day, retries included) with statuses in every
 * case; etf_updates of daily, backfill and repair runs (and the legacy names of those) with
 * missing dates and retries; daily_update_tracking of three update types per day.
 */
export async function fillLegacy(db: Client, n: LegacySizes): Promise<void> {
  const days = Math.max(1, Math.min(9_950, Math.ceil(n.taskStatus / 100)));
  await db.query(`INSERT INTO etfs (id) SELECT unnest($1::text[])`, [LEGACY_ETFS]);
  await db.query(
    `INSERT INTO task_status (task_type, status, resource_id, error, task_metadata, created_at, updated_at)
     SELECT CASE WHEN i % 10 < 3 THEN 'exchange_rate_update' WHEN i % 10 < 7 THEN 'etf_creation' ELSE 'price_refresh' END,
            (ARRAY['completed', 'COMPLETED', 'Success', 'failed', 'Error', 'pending', 'running', 'cancelled'])[1 + i % 8],
            i % 1000,
            CASE WHEN i % 8 IN (3, 4) THEN 'HTTPError: 503 Service Unavailable from the ECB' END,
            CASE WHEN i % 10 < 3
                 THEN jsonb_build_object('date', to_char(date '1999-01-04' + (i / 10) % $2, 'YYYY-MM-DD'),
                                         'currencies', jsonb_build_array('USD', 'GBP', 'JPY', 'CHF'))
                 ELSE jsonb_build_object('symbol', 'ETF' || (i % 500), 'source', 'yahoo') END,
            timestamp '1999-01-04 16:00' + ((i / 10) % $2) * interval '1 day' + (i % 10) * interval '1 minute' + (i % 997) * interval '1 microsecond',
            timestamp '1999-01-04 16:02' + ((i / 10) % $2) * interval '1 day' + (i % 10) * interval '1 minute'
       FROM generate_series(1, $1::int) AS i`,
    [n.taskStatus, days],
  );
  await db.query(
    `INSERT INTO etf_updates (etf_id, update_type, start_date, end_date, status, created_at, completed_at, error, missing_dates, retry_count, notes)
     SELECT (ARRAY['SPY', 'EWG', 'VWCE.DE', 'SPY', 'EWG', 'VWCE.DE', 'SPY', 'EWG', 'VWCE.DE', 'GONE'])[1 + i % 10],
            (ARRAY['daily', 'daily', 'daily', 'backfill', 'historical', 'repair', 'missing_dates', 'manual'])[1 + i % 8],
            date '2015-01-02' + (i % 4000),
            date '2015-01-02' + (i % 4000) + (i % 8) * 3,
            (ARRAY['completed', 'Completed', 'SUCCESS', 'failed', 'error', 'running', 'pending', 'CANCELLED'])[1 + i % 8],
            timestamp '2015-01-02 22:00' + (i % 4000) * interval '1 day',
            CASE WHEN i % 8 < 5 THEN timestamp '2015-01-02 22:00:03.25' + (i % 4000) * interval '1 day' END,
            CASE WHEN i % 8 IN (3, 4) THEN 'no data from the provider' END,
            CASE WHEN i % 5 = 0 THEN ARRAY[date '2015-01-02' + (i % 4000), date '2015-01-03' + (i % 4000)] END,
            i % 4,
            CASE WHEN i % 3 = 0 THEN 'scheduled run' END
       FROM generate_series(1, $1::int) AS i`,
    [n.etfUpdates],
  );
  await db.query(
    `INSERT INTO daily_update_tracking (date, update_type, attempted, data_found, notes)
     SELECT date '2010-01-04' + (i / 3), (ARRAY['exchange_rates', 'etf_prices', 'crypto'])[1 + i % 3],
            i % 11 <> 0, i % 11 <> 0 AND i % 7 <> 0,
            CASE WHEN i % 7 = 0 THEN 'no data' END
       FROM generate_series(0, $1::int - 1) AS i`,
    [n.daily],
  );
}

/** Creates a fresh database for the legacy side beside `targetUrl` and returns its URL. */
export async function createLegacyDatabase(targetUrl: string): Promise<string> {
  const url = new URL(targetUrl);
  url.pathname = `${url.pathname}_legacy`;
  const name = url.pathname.slice(1);
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query(LEGACY_DDL);
  } finally {
    await db.end();
  }
  return url.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
