import { MikroORM } from '@mikro-orm/postgresql';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { buildOrmConfig } from '../src/config/mikro-orm.config';
import { ensureDatabase, migrateWithLock } from '../src/database/database-bootstrap';
import { LegacyImportRefused, runLegacyImport } from '../src/modules/legacy-import/legacy-import';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import type { LegacyTable } from '../src/modules/legacy-import/legacy-mappers';
import { type ImportReport, writeJsonReport } from '../src/modules/legacy-import/legacy-report';
import {
  createLegacyDatabase,
  dropDatabase,
  fillLegacy,
  LEGACY_DDL,
  TARGET_ETFS_SQL,
} from './utils/legacy-db';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp } from './utils/test-app';

const ROOT = join(__dirname, '..');
const TARGETS: Record<LegacyTable, string> = {
  task_status: 'exchange_rate_updates',
  etf_updates: 'etf_updates',
  daily_update_tracking: 'daily_updates',
};

/** Every malformed case of issue #16, one row each (ids noted by what they carry). */
const MALFORMED_TASK_STATUS = `
INSERT INTO task_status (task_type, status, resource_id, error, task_metadata, created_at, updated_at) VALUES
 ('exchange_rate_update', 'completed', 0, NULL, NULL, '2020-01-01 16:00', '2020-01-01 16:01'),
 ('exchange_rate_update', 'completed', 0, NULL, 'null', '2020-01-01 16:00', '2020-01-01 16:01'),
 ('exchange_rate_update', 'completed', 0, NULL, '[{"date": "2030-01-02"}]', '2020-01-01 16:00', NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '"not an object"', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '42', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '{"currencies": ["USD"]}', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '{"date": null}', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '{"date": "02/04/2030"}', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '{"date": "2030-02-30"}', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '{"date": 20300402}', NULL, NULL),
 ('exchange_rate_update', 'completed', 0, NULL, '"{\\"date\\": \\"2030-01-03\\"}"', '2030-01-03 16:00', '2030-01-03 16:01'),
 ('exchange_rate_update', 'KAPUT', 0, 'segfault', '{"date": "2030-01-04"}', '2030-01-04 16:00', '2030-01-04 16:01'),
 ('Exchange_Rate_Update', ' In Progress ', 0, NULL, '{"date": "2030-01-07T00:00:00", "currencies": "USD"}', 'infinity', NULL),
 ('exchange_rate_update', 'failed', 0, 'timeout', '{"date": "2030-01-08"}', '2030-01-08 16:00', '2030-01-08 16:05'),
 ('exchange_rate_update', 'Success', 0, NULL, '{"date": "2030-01-08"}', '2030-01-08 16:30', '2030-01-08 16:31'),
 ('exchange_rate_update', 'failed', 0, 'again', '{"date": "2030-01-08"}', '2030-01-08 17:00', '2030-01-08 17:05'),
 ('exchange_rate_update', 'completed', 0, NULL, '{"date": "2030-01-09"}', '2030-01-09 16:00', '2030-01-09 16:01')`;

const MALFORMED_ETF_UPDATES = `
INSERT INTO etf_updates (etf_id, update_type, start_date, end_date, status, created_at, completed_at, error, missing_dates, retry_count, notes) VALUES
 ('GONE', 'daily', '2030-01-02', '2030-01-02', 'completed', '2030-01-02 22:00', NULL, NULL, NULL, 0, NULL),
 ('SPY', 'daily', '2030-01-05', '2030-01-02', 'completed', '2030-01-02 22:00', NULL, NULL, NULL, 0, NULL),
 ('SPY', 'daily', '2030-01-02', 'infinity', 'completed', '2030-01-02 22:00', NULL, NULL, NULL, 0, NULL),
 ('SPY', 'Weird Type', '2030-01-02', '2030-01-03', 'what', '2030-01-02 22:00', '2030-01-02 22:01', NULL, ARRAY[NULL, '2030-01-03']::date[], -2, 'odd'),
 ('spy', 'daily', '2030-01-02', '2030-01-02', 'completed', '2030-01-02 22:00', '2030-01-02 22:01', NULL, NULL, 0, NULL),
 ('SPY', 'daily', '2030-01-06', '2030-01-06', 'pending', '2030-01-06 22:00', NULL, NULL, NULL, 0, NULL)`;

const MALFORMED_DAILY = `
INSERT INTO daily_update_tracking (date, update_type, attempted, data_found, notes) VALUES
 ('infinity', 'exchange_rates', true, true, NULL),
 ('2030-01-02', 'exchange_rates', true, false, NULL),
 ('2030-01-02', 'EXCHANGE_RATES', true, true, NULL),
 ('2030-01-02', 'exchange-rates', false, false, NULL),
 ('2030-01-03', 'exchange_rates', NULL, NULL, NULL),
 ('2030-01-06', 'exchange_rates', true, true, 'the new system ran this day too')`;

async function q<T extends object = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A fingerprint of whole tables: any change of any row changes it. */
async function fingerprint(url: string, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of tables) {
    const exists = await q<{ e: boolean }>(url, 'SELECT to_regclass($1) IS NOT NULL AS e', [t]);
    out[t] = exists[0].e
      ? (
          await q<{ f: string }>(
            url,
            `SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '' ORDER BY t::text)), '') AS f FROM ${t} t`,
          )
        )[0].f
      : 'absent';
  }
  return out;
}

const SOURCE_TABLES = [
  'task_status',
  'etf_updates',
  'daily_update_tracking',
  'archived_task_status',
  'archived_etf_updates',
  'archived_daily_update_tracking',
];
const TARGET_TABLES = ['exchange_rate_updates', 'etf_updates', 'daily_updates'];

/** The service's schema, migrated, with its ETFs. */
async function migrateTarget(url: string): Promise<void> {
  await ensureDatabase(url);
  const orm = await MikroORM.init({ ...buildOrmConfig(url), logger: () => undefined });
  try {
    await migrateWithLock(orm, url);
  } finally {
    await orm.close();
  }
  await q(url, TARGET_ETFS_SQL);
}

async function jsonOf(report: ImportReport): Promise<ImportReportJson> {
  const chunks: string[] = [];
  const out = {
    write: (s: string) => (chunks.push(s), true),
    once: () => undefined,
  } as unknown as NodeJS.WritableStream;
  await writeJsonReport(report, out as never);
  return JSON.parse(chunks.join('')) as ImportReportJson;
}

interface TableJson {
  outcome: string;
  read: number;
  created: number;
  alreadyImported: number;
  alreadyThere: { id: number | string; reason: string; code: string }[];
  skipped: { id: number | string; reason: string; code: string }[];
  warnings: { id: number | string; reason: string }[];
  statuses: Record<string, Record<string, number>>;
  archive: { created: boolean; rowsAdded: number } | null;
  verification: { ok: boolean } | null;
  error?: string;
}
interface ImportReportJson {
  dryRun: boolean;
  ok: boolean;
  changed: boolean;
  tables: Record<LegacyTable, TableJson>;
}

describe('legacy import (#16)', () => {
  const env = isolatedEnv({ LOG_LEVEL: 'silent' });
  let source: string;
  const target = env.DATABASE_URL;
  const legacyIds: Record<LegacyTable, Set<string>> = {
    task_status: new Set(),
    etf_updates: new Set(),
    daily_update_tracking: new Set(),
  };

  beforeAll(async () => {
    await migrateTarget(target);
    // The new system already ran these two days: never overwritten by the import.
    await q(
      target,
      `INSERT INTO exchange_rate_updates (id, status, update_date, completed_at) VALUES (gen_random_uuid(), 'COMPLETED', '2030-01-09', now())`,
    );
    await q(
      target,
      `INSERT INTO daily_updates (id, status, update_date, update_type, state) VALUES (gen_random_uuid(), 'COMPLETED', '2030-01-06', 'exchange-rates', 'done')`,
    );
    source = await createLegacyDatabase(target);
    const db = new Client({ connectionString: source });
    await db.connect();
    try {
      await fillLegacy(db, { taskStatus: 6000, etfUpdates: 3000, daily: 2000 });
      await db.query(MALFORMED_TASK_STATUS);
      await db.query(MALFORMED_ETF_UPDATES);
      await db.query(MALFORMED_DAILY);
      for (const r of (await db.query('SELECT id FROM task_status')).rows) {
        legacyIds.task_status.add(String(r.id));
      }
      for (const r of (await db.query('SELECT id FROM etf_updates')).rows) {
        legacyIds.etf_updates.add(String(r.id));
      }
      for (const r of (
        await db.query(`SELECT date::text || '/' || update_type AS id FROM daily_update_tracking`)
      ).rows) {
        legacyIds.daily_update_tracking.add(String(r.id));
      }
    } finally {
      await db.end();
    }
  }, 120_000);

  afterAll(async () => {
    if (source) await dropDatabase(source);
    await cleanupEnv(env);
  });

  it('dry run: reports every table and writes nothing on either side', async () => {
    const before = {
      s: await fingerprint(source, SOURCE_TABLES),
      t: await fingerprint(target, TARGET_TABLES),
    };
    const { report, dispose } = await runLegacyImport({
      sourceUrl: source,
      targetUrl: target,
      dryRun: true,
    });
    const json = await jsonOf(report);
    dispose();
    expect(json.dryRun).toBe(true);
    expect(json.ok).toBe(true);
    expect(json.changed).toBe(false);
    for (const [name, t] of Object.entries(json.tables)) {
      expect(t.outcome).toBe('dry-run');
      expect(t.read).toBe(legacyIds[name as LegacyTable].size);
      expect(t.created).toBeGreaterThan(0);
      expect(t.read).toBe(t.created + t.alreadyImported + t.alreadyThere.length + t.skipped.length);
      expect(Object.values(t.statuses).flatMap((m) => Object.values(m))).toEqual(
        expect.arrayContaining([expect.any(Number)]),
      );
      const sum = Object.values(t.statuses)
        .flatMap((m) => Object.values(m))
        .reduce((a, b) => a + b, 0);
      expect(sum).toBe(t.read);
      for (const s of t.skipped) expect(s.reason).toEqual(expect.any(String));
    }
    expect(json.tables.task_status.statuses.KAPUT).toEqual({ FAILED: 1 });
    expect(json.tables.task_status.statuses[' In Progress ']).toEqual({ CANCELLED: 1 });
    expect(json.tables.task_status.statuses.Success).toEqual({ COMPLETED: expect.any(Number) });
    expect(await fingerprint(source, SOURCE_TABLES)).toEqual(before.s);
    expect(await fingerprint(target, TARGET_TABLES)).toEqual(before.t);
  });

  it('a failure in the middle of a table leaves that table as it was on both sides', async () => {
    const before = {
      s: await fingerprint(source, SOURCE_TABLES),
      t: await fingerprint(target, TARGET_TABLES),
    };
    const { report, dispose } = await runLegacyImport({
      sourceUrl: source,
      targetUrl: target,
      tables: ['etf_updates', 'daily_update_tracking'],
      batchSize: 500,
      failAfter: { table: 'etf_updates', rows: 1000 },
    });
    dispose();
    expect(report.ok).toBe(false);
    expect(report.tables.etf_updates!.outcome).toBe('failed');
    expect(report.tables.etf_updates!.error).toMatch(/injected failure after 1000 rows/);
    expect(report.tables.daily_update_tracking!.outcome).toBe('not-run');
    expect(await fingerprint(source, SOURCE_TABLES)).toEqual(before.s);
    expect(await fingerprint(target, TARGET_TABLES)).toEqual(before.t);
  });

  it('the CLI imports everything, prints one JSON document on stdout and logs on stderr', async () => {
    const proc = spawn(
      process.execPath,
      ['-r', '@swc-node/register', 'src/cli/legacy-import.ts', '--source-url', source, '--json'],
      {
        cwd: ROOT,
        env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: target, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.stdout.on('data', (b: Buffer) => out.push(b));
    proc.stderr.on('data', (b: Buffer) => err.push(b));
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const stderr = Buffer.concat(err).toString();
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const stdout = Buffer.concat(out).toString();
    expect(stdout.trim().split('\n')).toHaveLength(1); // one document
    const json = JSON.parse(stdout) as ImportReportJson;
    expect(stderr).toMatch(/"msg":"table done"/);
    expect(json.ok).toBe(true);
    expect(json.changed).toBe(true);

    for (const name of Object.keys(TARGETS) as LegacyTable[]) {
      const t = json.tables[name];
      expect(t.outcome).toBe('imported');
      expect(t.verification?.ok).toBe(true);
      expect(t.archive).toEqual(expect.objectContaining({ created: true, rowsAdded: t.read }));
      // Every legacy row arrives, or is reported with its reason: exactly once.
      const imported = await q<{ id: string }>(
        target,
        `SELECT substr(legacy_ref, length($1) + 2) AS id FROM ${TARGETS[name]} WHERE legacy_ref LIKE $1 || ':%'`,
        [name],
      );
      const seen = [
        ...imported.map((r) => r.id),
        ...t.skipped.map((s) => String(s.id)),
        ...t.alreadyThere.map((s) => String(s.id)),
      ];
      expect(seen.length).toBe(legacyIds[name].size);
      expect(new Set(seen)).toEqual(legacyIds[name]);
      expect(imported.length).toBe(t.created + t.alreadyImported);
    }

    const ts = json.tables.task_status;
    const codes = (t: TableJson) => Object.fromEntries(t.skipped.map((s) => [s.id, s.code]));
    const byId = codes(ts);
    const firstMalformed = 6001;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => byId[firstMalformed + i])).toEqual([
      'metadata_null',
      'metadata_not_object',
      'metadata_not_object',
      'metadata_not_object',
      'metadata_not_object',
      'metadata_no_date',
      'metadata_no_date',
      'metadata_bad_date',
      'metadata_bad_date',
      'metadata_bad_date',
    ]);
    // Of the three rows of 2030-01-08, the completed one is imported; the others are duplicates.
    expect(byId[firstMalformed + 13]).toBe('duplicate');
    expect(byId[firstMalformed + 15]).toBe('duplicate');
    expect(ts.skipped.find((s) => s.id === firstMalformed + 13)!.reason).toContain(
      `task_status:${firstMalformed + 14} is the row taken for this key (best outcome: COMPLETED, FAILED, CANCELLED; then latest updated_at; then highest id)`,
    );
    expect(ts.alreadyThere).toEqual([
      expect.objectContaining({ id: firstMalformed + 16, code: 'key_written_by_new_system' }),
    ]);
    expect(Object.values(byId)).toContain('other_task_type');

    const rows = await q<Record<string, unknown>>(
      target,
      `SELECT legacy_ref, status, update_date::text AS d, attempts, error_message, notes, result, queue_job_id,
              created_at, target_currencies
         FROM exchange_rate_updates WHERE legacy_ref = ANY($1)`,
      [[10, 11, 12, 14].map((i) => `task_status:${firstMalformed + i}`)],
    );
    const row = (i: number) =>
      rows.find((r) => r.legacy_ref === `task_status:${firstMalformed + i}`)!;
    // Double-encoded metadata is read, with a note.
    expect(row(10)).toMatchObject({ status: 'COMPLETED', d: '2030-01-03' });
    expect(row(10).notes).toMatch(/double-encoded/);
    // An unknown status is FAILED with the original in the notes.
    expect(row(11)).toMatchObject({ status: 'FAILED', error_message: 'segfault', attempts: 1 });
    expect(row(11).notes).toMatch(/unknown legacy status "KAPUT"/);
    expect(row(11).result).toMatchObject({
      imported: true,
      legacyTable: 'task_status',
      legacyId: firstMalformed + 11,
      legacyStatus: 'KAPUT',
    });
    // Naive timestamps are UTC; an unreadable one is noted and the import time stands in.
    expect(row(14).created_at).toEqual(new Date('2030-01-08T16:30:00Z'));
    expect(row(12)).toMatchObject({
      status: 'CANCELLED',
      d: '2030-01-07',
      target_currencies: null,
    });
    expect(row(12).notes).toMatch(/created_at "infinity" does not parse/);
    // Never enqueued: terminal, no queue job.
    const active = await q<{ n: number }>(
      target,
      `SELECT count(*)::int AS n FROM exchange_rate_updates WHERE legacy_ref IS NOT NULL AND (status NOT IN ('COMPLETED', 'FAILED', 'CANCELLED') OR queue_job_id IS NOT NULL)`,
    );
    expect(active[0].n).toBe(0);

    const etf = json.tables.etf_updates;
    const etfCodes = Object.values(codes(etf));
    // Every 10th (GONE), the malformed GONE row, and `spy`: an etf_id not in etfs is skipped,
    // even when it differs from one in case only (the legacy etfs had SPY and spy).
    expect(etfCodes.filter((c) => c === 'unknown_etf').length).toBe(302);
    expect(etf.skipped.find((s) => s.id === 3005)).toEqual({
      id: 3005,
      code: 'unknown_etf',
      reason: expect.stringMatching(/^etf_id "spy" is not in etfs .*etfs has SPY, which differs/),
    });
    expect(etfCodes).toEqual(expect.arrayContaining(['bad_range', 'bad_date']));
    const [odd] = await q<Record<string, unknown>>(
      target,
      `SELECT etf_id, update_type, status, attempts, missing_dates::text AS missing, notes FROM etf_updates WHERE legacy_ref = 'etf_updates:3004'`,
    );
    expect(odd).toMatchObject({
      etf_id: 'SPY',
      update_type: 'backfill',
      status: 'FAILED',
      attempts: 1,
      missing: '{2030-01-03}',
    });
    expect(odd.notes).toMatch(/odd; unknown legacy status "what".*Weird Type/);
    const [retried] = await q<{ attempts: number }>(
      target,
      `SELECT attempts FROM etf_updates WHERE legacy_ref = 'etf_updates:3'`,
    );
    expect(retried.attempts).toBe(4); // retry_count 3 + 1
    // Never started (pending, retry_count 0): no attempt is invented.
    const [pending] = await q<Record<string, unknown>>(
      target,
      `SELECT status, attempts, max_attempts FROM etf_updates WHERE legacy_ref = 'etf_updates:3006'`,
    );
    expect(pending).toEqual({ status: 'CANCELLED', attempts: 0, max_attempts: 1 });

    const daily = json.tables.daily_update_tracking;
    const dailyCodes = codes(daily);
    expect(dailyCodes['infinity/exchange_rates']).toBe('bad_date');
    expect(dailyCodes['2030-01-02/exchange_rates']).toBe('duplicate');
    expect(dailyCodes['2030-01-02/exchange-rates']).toBe('duplicate');
    expect(daily.alreadyThere.map((a) => a.id)).toEqual(['2030-01-06/exchange_rates']);
    const slots = await q<Record<string, unknown>>(
      target,
      `SELECT update_date::text AS d, update_type, state, status, data_found, legacy_ref FROM daily_updates
        WHERE update_date IN ('2030-01-02', '2030-01-03') OR legacy_ref = 'daily_update_tracking:2010-01-04/crypto' ORDER BY 1, 2`,
    );
    expect(slots).toEqual([
      {
        d: '2010-01-04',
        update_type: 'crypto', // no registered source: arrives under its legacy name
        state: 'done',
        status: 'COMPLETED',
        data_found: true,
        legacy_ref: 'daily_update_tracking:2010-01-04/crypto',
      },
      {
        d: '2030-01-02',
        update_type: 'exchange-rates',
        state: 'done',
        status: 'COMPLETED',
        data_found: true,
        legacy_ref: 'daily_update_tracking:2030-01-02/EXCHANGE_RATES',
      },
      {
        d: '2030-01-03',
        update_type: 'exchange-rates', // attempted = null: a slot that never ran
        state: 'scheduled',
        status: 'CANCELLED',
        data_found: null,
        legacy_ref: 'daily_update_tracking:2030-01-03/exchange_rates',
      },
    ]);
  }, 120_000);

  it('a second run changes nothing, and says so', async () => {
    const before = {
      s: await fingerprint(source, SOURCE_TABLES),
      t: await fingerprint(target, TARGET_TABLES),
    };
    const { report, dispose } = await runLegacyImport({ sourceUrl: source, targetUrl: target });
    const json = await jsonOf(report);
    dispose();
    expect(json.ok).toBe(true);
    expect(json.changed).toBe(false);
    for (const t of Object.values(json.tables)) {
      expect(t.outcome).toBe('unchanged');
      expect(t.created).toBe(0);
      expect(t.alreadyImported).toBeGreaterThan(0);
      expect(t.archive).toEqual({ table: expect.any(String), created: false, rowsAdded: 0 });
      expect(t.verification?.ok).toBe(true);
    }
    expect(await fingerprint(source, SOURCE_TABLES)).toEqual(before.s);
    expect(await fingerprint(target, TARGET_TABLES)).toEqual(before.t);
  }, 120_000);

  it('retention keeps the imported history, however old, and deletes old rows of the new system', async () => {
    await q(
      target,
      `INSERT INTO exchange_rate_updates (id, status, update_date, completed_at)
       VALUES (gen_random_uuid(), 'COMPLETED', '2031-01-09', '2001-01-01')`,
    );
    const imported = async () =>
      Object.fromEntries(
        await Promise.all(
          ['exchange_rate_updates', 'etf_updates', 'daily_updates'].map(async (table) => [
            table,
            Number(
              (
                await q<{ n: string }>(
                  target,
                  `SELECT count(*) AS n FROM ${table} WHERE legacy_ref IS NOT NULL`,
                )
              )[0].n,
            ),
          ]),
        ),
      );
    const before = await imported();
    expect(Object.values(before).every((n) => (n as number) > 0)).toBe(true);
    const app = await startTestApp(env);
    try {
      await app.app.get(MaintenanceService).applyRetention();
    } finally {
      await app.close();
    }
    expect(await imported()).toEqual(before);
    const left = await q<{ n: string }>(
      target,
      `SELECT count(*) AS n FROM exchange_rate_updates WHERE update_date = '2031-01-09'`,
    );
    expect(Number(left[0].n)).toBe(0);
  }, 120_000);
});

/**
 * The same database as the target (legacy tables in their own schema: the legacy etf_updates
 * cannot share the service's schema with the new one), legacy free text that names
 * Object.prototype's members or the JSON report's internals, a target whose DateStyle is not
 * ISO, an archive that already exists, and the refusals.
 */
describe('legacy import (#16): same database, hostile text, refusals', () => {
  const env = isolatedEnv({ LOG_LEVEL: 'silent' });
  const db = env.DATABASE_URL;
  const empty = `${db}_empty`;
  // Only the import's target session prints dates as 02/01/2031 (the test's own do not).
  const dmyTarget = `${db}?options=${encodeURIComponent('-c DateStyle=SQL,DMY')}`;

  beforeAll(async () => {
    await migrateTarget(db);
    await q(
      db,
      `CREATE SCHEMA legacy; SET search_path = legacy; ${LEGACY_DDL}
       INSERT INTO etfs (id) VALUES ('SPY'), ('spy');
       INSERT INTO task_status (task_type, status, resource_id, error, task_metadata, created_at, updated_at) VALUES
        ('exchange_rate_update', 'constructor', 0, NULL, '{"date": "2031-01-01"}', '2031-01-01 16:00', '2031-01-01 16:01'),
        ('exchange_rate_update', '__proto__', 0, NULL, '{"date": "2031-01-02"}', '2031-01-02 16:00', '2031-01-02 16:01'),
        ('exchange_rate_update', 'toString', 0, NULL, '{"date": "2031-01-03"}', '2031-01-03 16:00', '2031-01-03 16:01'),
        ('exchange_rate_update', '@@spool:task_status:skipped@@', 0, NULL, '{"date": "2031-01-06"}', '2031-01-06 16:00', '2031-01-06 16:01'),
        ('exchange_rate_update', 'failed', 0, 'HTTP 503', '{"date": "2031-01-07"}', '2031-01-07 16:00', '2031-01-07 16:01'),
        ('price_refresh', 'failed', 0, NULL, NULL, '2031-01-07 16:00', '2031-01-07 16:01'),
        ('exchange_rate_update', 'completed', 0, NULL, '{"date": "2031-01-08"}', NULL, '2031-01-08 16:01');
       INSERT INTO etf_updates (etf_id, update_type, start_date, end_date, status, created_at, completed_at, error, missing_dates, retry_count, notes) VALUES
        ('SPY', 'constructor', '2031-01-01', '2031-01-01', 'valueOf', '2031-01-01 22:00', '2031-01-01 22:01', NULL, ARRAY['2031-01-01']::date[], 0, NULL),
        ('SPY', '__proto__', '2031-01-02', '2031-01-02', 'completed', '2031-01-02 22:00', '2031-01-02 22:01', NULL, NULL, 1, NULL),
        ('spy', 'daily', '2031-01-02', '2031-01-02', 'completed', '2031-01-02 22:00', '2031-01-02 22:01', NULL, NULL, 0, NULL);
       INSERT INTO daily_update_tracking (date, update_type, attempted, data_found, notes) VALUES
        ('2031-01-01', 'toString', true, true, NULL),
        ('2031-01-01', 'constructor', true, false, NULL),
        ('2031-01-02', '__proto__', false, false, NULL);
       -- Archived by hand beforehand (the seed's phase 5), in part: the import adds the rest.
       CREATE TABLE archived_daily_update_tracking AS
         SELECT * FROM daily_update_tracking WHERE update_type = 'toString';`,
    );
  }, 60_000);

  afterAll(async () => {
    await dropDatabase(empty);
    await cleanupEnv(env);
  });

  it('imports every row, whatever its text and the target’s DateStyle; the report is one JSON document', async () => {
    const { report, dispose } = await runLegacyImport({
      sourceUrl: db,
      sourceSchema: 'legacy',
      targetUrl: dmyTarget,
    });
    const json = await jsonOf(report); // parses: no legacy text is taken for a list's place
    dispose();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'FAILED')).toBe(false);
    expect(
      Object.fromEntries(
        Object.entries(json.tables).map(([n, t]) => [
          n,
          [t.outcome, t.verification?.ok, t.read, t.created, t.skipped.length, t.error],
        ]),
      ),
    ).toEqual({
      task_status: ['imported', true, 7, 6, 1, undefined],
      etf_updates: ['imported', true, 3, 2, 1, undefined],
      daily_update_tracking: ['imported', true, 3, 3, 0, undefined],
    });
    const statuses = (t: TableJson) =>
      Object.entries(t.statuses)
        .map(([from, tos]) => [from, { ...tos }])
        .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    expect(statuses(json.tables.task_status)).toEqual([
      ['@@spool:task_status:skipped@@', { FAILED: 1 }],
      ['__proto__', { FAILED: 1 }],
      ['completed', { COMPLETED: 1 }],
      ['constructor', { FAILED: 1 }],
      ['failed', { FAILED: 2 }],
      ['toString', { FAILED: 1 }],
    ]);
    expect(statuses(json.tables.etf_updates)).toEqual([
      ['completed', { COMPLETED: 2 }],
      ['valueOf', { FAILED: 1 }],
    ]);
    expect(json.tables.etf_updates.skipped).toEqual([
      expect.objectContaining({ id: 3, code: 'unknown_etf' }),
    ]);
    expect(json.tables.daily_update_tracking.archive).toEqual({
      table: 'archived_daily_update_tracking',
      created: false,
      rowsAdded: 2,
    });

    // created_at NULL: updated_at stands in, and the notes say so.
    expect(
      await q(
        db,
        `SELECT created_at, notes FROM exchange_rate_updates WHERE legacy_ref = 'task_status:7'`,
      ),
    ).toEqual([
      {
        created_at: new Date('2031-01-08T16:01:00Z'),
        notes: 'imported from task_status; created_at missing: updated_at stands in',
      },
    ]);
    const etfs = await q(
      db,
      `SELECT legacy_ref, update_type, status, attempts, notes FROM public.etf_updates ORDER BY legacy_ref`,
    );
    expect(etfs).toEqual([
      {
        legacy_ref: 'etf_updates:1',
        update_type: 'backfill',
        status: 'FAILED',
        attempts: 1,
        notes:
          'unknown legacy status "valueOf", imported as FAILED; unknown legacy update_type "constructor": a backfill',
      },
      {
        legacy_ref: 'etf_updates:2',
        update_type: 'backfill',
        status: 'COMPLETED',
        attempts: 2,
        notes: 'unknown legacy update_type "__proto__": a backfill',
      },
    ]);
    const slots = await q(
      db,
      `SELECT update_date::text AS d, update_type, state FROM daily_updates ORDER BY 1, 2`,
    );
    expect(slots).toEqual([
      { d: '2031-01-01', update_type: 'constructor', state: 'failed' },
      { d: '2031-01-01', update_type: 'toString', state: 'done' },
      { d: '2031-01-02', update_type: '__proto__', state: 'scheduled' },
    ]);
    const archives = await q<{ t: string; n: number }>(
      db,
      `SELECT 'task_status' AS t, count(*)::int AS n FROM legacy.archived_task_status
       UNION ALL SELECT 'daily', count(*)::int FROM legacy.archived_daily_update_tracking`,
    );
    expect(archives).toEqual([
      { t: 'task_status', n: 7 },
      { t: 'daily', n: 3 },
    ]);

    const again = await runLegacyImport({
      sourceUrl: db,
      sourceSchema: 'legacy',
      targetUrl: dmyTarget,
    });
    again.dispose();
    expect(again.report.ok).toBe(true);
    expect(again.report.changed).toBe(false);
  }, 60_000);

  it('refuses, naming the side and the reason, a bad URL, a database it cannot reach, missing legacy tables and an unmigrated target', async () => {
    const refusal = (options: Partial<Parameters<typeof runLegacyImport>[0]>) =>
      runLegacyImport({
        sourceUrl: db,
        sourceSchema: 'legacy',
        targetUrl: db,
        dryRun: true,
        ...options,
      }).then(
        () => 'done',
        (err: Error) =>
          `${err instanceof LegacyImportRefused ? 'refused' : 'threw'}: ${err.message}`,
      );
    const address = new URL(db).host;
    expect(await refusal({ sourceUrl: 'postgres://[legacy-host/old' })).toBe(
      'refused: the source database URL is not a valid URL (expected postgres://user@host:5432/database)',
    );
    expect(await refusal({ sourceUrl: `${db}_nowhere` })).toBe(
      `refused: cannot connect to the source database ${address}${new URL(db).pathname}_nowhere: database "${new URL(db).pathname.slice(1)}_nowhere" does not exist`,
    );
    expect(await refusal({ sourceSchema: 'public', tables: ['task_status'] })).toBe(
      'refused: the source has no table public.task_status (or this user cannot read it)',
    );
    await ensureDatabase(empty);
    expect(await refusal({ targetUrl: empty })).toBe(
      'refused: the target database is not migrated (no legacy_ref on exchange_rate_updates, etf_updates, daily_updates): start the service once, or run the migrations, first',
    );
  }, 60_000);
});
