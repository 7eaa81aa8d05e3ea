/**
 * The legacy import (#16, docs/legacy-import.md): reads the old system's task_status,
 * etf_updates and daily_update_tracking (seed 002) from a source database and writes them,
 * mapped, into exchange_rate_updates, etf_updates and daily_updates.
 *
 * Per table, two transactions: the source's (REPEATABLE READ: one snapshot for the read and
 * the archive) and the target's. Order: read and write everything, verify, archive in the
 * source (same snapshot), COMMIT the target, then COMMIT the source. A failure before the
 * target's commit rolls both back (both sides as before); the only window is between the two
 * commits, where the target is imported but the archive not kept: a second run (which
 * imports nothing again) creates it.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { connectClient, databaseAddress } from '../../database/database-bootstrap';
import {
  compareRank,
  type Candidate,
  type EtfLookup,
  etfLookup,
  type ImportedRow,
  type LegacyId,
  type LegacyTable,
  LEGACY_TABLES,
  type MapContext,
} from './legacy-mappers';
import {
  countStatus,
  type ImportReport,
  newTableReport,
  removeSpools,
  spoolDir,
  type TableReport,
  type Verification,
} from './legacy-report';
import {
  type AnySpec,
  DAILY_UPDATE_TRACKING,
  etfUpdatesSpec,
  sqlRowHash,
  TASK_STATUS,
  type TableSpec,
} from './legacy-tables';
import { LegacyWriter, type Loser } from './legacy-writer';

export interface LegacyImportOptions {
  sourceUrl: string;
  /** The new system's database (DATABASE_URL). */
  targetUrl: string;
  dryRun?: boolean;
  /** Which legacy tables, in this order (default: all three). */
  tables?: readonly LegacyTable[];
  /** The source's schema holding the legacy tables (and where the archives go). */
  sourceSchema?: string;
  /** Rows per FETCH and per INSERT. */
  batchSize?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Test hook: throw once this many rows of this table are written (before its commit). */
  failAfter?: { table: LegacyTable; rows: number };
  now?: () => Date;
}

export interface LegacyImportResult {
  report: ImportReport;
  /** Removes the report's spool files (call once it is printed). */
  dispose(): void;
}

/** The tool refuses to start (bad source, unmigrated target): nothing was done. */
export class LegacyImportRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegacyImportRefused';
  }
}

/** Both sides' checks disagree: the table's transactions are rolled back. */
class VerificationFailed extends Error {}

/** pg_try_advisory_xact_lock key on the target: one import at a time. */
const IMPORT_LOCK_KEY = '7020365463840186016';

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function redacted(url: string): string {
  const u = new URL(url);
  return `${databaseAddress(url)}${u.pathname}`;
}

/** A postgres:// URL, or a refusal naming which one is wrong (never the password). */
function checkUrl(url: string, side: 'source' | 'target'): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LegacyImportRefused(
      `the ${side} database URL is not a valid URL (expected postgres://user@host:5432/database)`,
    );
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new LegacyImportRefused(
      `the ${side} database URL must start with postgres:// or postgresql://, not ${u.protocol}//`,
    );
  }
}

/** Connects, or refuses with a message that says which database could not be reached and why. */
async function connect(url: string, side: 'source' | 'target'): Promise<Client> {
  let client: Client | null = null;
  try {
    client = await connectClient(url);
    // Dates and times as text the way both checksums and the mappers read them, whatever
    // the server's or the database's DateStyle (`SQL, DMY` would print 02/01/2030).
    await client.query("SET DateStyle = 'ISO, YMD'");
    return client;
  } catch (err) {
    await client?.end().catch(() => undefined);
    throw new LegacyImportRefused(
      `cannot connect to the ${side} database ${redacted(url)}: ${(err as Error).message}`,
    );
  }
}

async function checkSource(
  source: Client,
  schema: string,
  specs: readonly AnySpec[],
  dryRun: boolean,
) {
  const { rows } = await source.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = ANY($2::text[])`,
    [schema, specs.map((s) => s.legacy)],
  );
  const problems: string[] = [];
  for (const spec of specs) {
    const have = new Set(
      rows.filter((r) => r.table_name === spec.legacy).map((r) => r.column_name),
    );
    if (!have.size) {
      problems.push(
        `the source has no table ${schema}.${spec.legacy} (or this user cannot read it)`,
      );
      continue;
    }
    const missing = spec.sourceColumns.filter((c) => !have.has(c));
    if (missing.length) {
      problems.push(
        `${schema}.${spec.legacy} is not the legacy table (no ${missing.join(', ')}): is the source the new system's database?`,
      );
    }
  }
  if (problems.length) throw new LegacyImportRefused(problems.join('; '));
  if (dryRun) return;
  // A real run writes the archives in the source: refuse now rather than after the reading.
  const { rows: can } = await source.query<{
    standby: boolean;
    create: boolean;
    archives: { name: string; exists: boolean; insert: boolean | null }[];
  }>(
    `SELECT pg_is_in_recovery() AS standby,
            has_schema_privilege(current_user, $1, 'CREATE') AS create,
            (SELECT coalesce(json_agg(json_build_object(
                      'name', a.name, 'exists', to_regclass(a.q) IS NOT NULL,
                      'insert', has_table_privilege(to_regclass(a.q), 'INSERT')
                             AND has_table_privilege(to_regclass(a.q), 'SELECT'))), '[]')
               FROM unnest($2::text[], $3::text[]) AS a(name, q)) AS archives`,
    [
      schema,
      specs.map((s) => `archived_${s.legacy}`),
      specs.map((s) => `${quoteIdent(schema)}.${quoteIdent(`archived_${s.legacy}`)}`),
    ],
  );
  if (can[0].standby) {
    throw new LegacyImportRefused(
      'the source is a read-only standby: a real run creates the archive tables there (a --dry-run only reads)',
    );
  }
  for (const a of can[0].archives) {
    if (a.exists ? !a.insert : !can[0].create) {
      problems.push(
        a.exists
          ? `${schema}.${a.name} exists and this user cannot insert into it`
          : `this user cannot create ${schema}.${a.name} (no CREATE on schema ${schema})`,
      );
    }
  }
  if (problems.length) {
    throw new LegacyImportRefused(
      `${problems.join('; ')}: a real run archives each legacy table in the source (a --dry-run only reads)`,
    );
  }
}

async function checkTarget(target: Client, specs: readonly AnySpec[]) {
  const { rows } = await target.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name = 'legacy_ref' AND table_name = ANY($1::text[])`,
    [specs.map((s) => s.target)],
  );
  const have = new Set(rows.map((r) => r.table_name));
  const missing = specs.filter((s) => !have.has(s.target)).map((s) => s.target);
  if (missing.length) {
    throw new LegacyImportRefused(
      `the target database is not migrated (no legacy_ref on ${missing.join(', ')}): start the service once, or run the migrations, first`,
    );
  }
}

/**
 * Winners per key while a group is read. A loser keeps only its id and (a reference to) its
 * key, in two flat arrays: a million duplicate polls cost a few MB, not a row each.
 */
class Settler<R extends ImportedRow> {
  private readonly best = new Map<string, Candidate<R>>();
  private loserIds: LegacyId[] = [];
  private loserKeys: string[] = [];
  /** Winner of each settled key (kept for the losers' reasons, flushed per group). */
  readonly winners = new Map<string, LegacyId>();

  constructor(private readonly legacy: LegacyTable) {}

  offer(c: Candidate<R>): void {
    const current = this.best.get(c.key!);
    if (!current) {
      this.best.set(c.key!, c);
      return;
    }
    const key = current.key!; // the one instance of this key's text
    const [win, lose] = compareRank(c.rank, current.rank) > 0 ? [c, current] : [current, c];
    win.key = key;
    this.best.set(key, win);
    this.loserIds.push(lose.id);
    this.loserKeys.push(key);
  }

  /** The group's winners, and its losers (handed out in batches by `losers`). */
  settle(): { winners: Candidate<R>[]; losers: Iterable<Loser> } {
    this.winners.clear();
    const winners = [...this.best.values()];
    for (const w of winners) this.winners.set(w.key!, w.id);
    const ids = this.loserIds;
    const keys = this.loserKeys;
    const legacy = this.legacy;
    this.best.clear();
    this.loserIds = [];
    this.loserKeys = [];
    function* losers(): Generator<Loser> {
      for (let i = 0; i < ids.length; i += 1) {
        yield { id: ids[i], legacyRef: `${legacy}:${ids[i]}`, key: keys[i] };
      }
    }
    return { winners, losers: losers() };
  }
}

async function rollback(client: Client): Promise<void> {
  await client.query('ROLLBACK').catch(() => undefined);
}

async function importTable<R extends ImportedRow>(
  spec: TableSpec<R>,
  source: Client,
  target: Client,
  ctx: MapContext,
  report: TableReport,
  o: Required<Pick<LegacyImportOptions, 'dryRun' | 'sourceSchema' | 'batchSize'>> &
    LegacyImportOptions,
): Promise<void> {
  const started = performance.now();
  const log = o.logger;
  const qualified = `${quoteIdent(o.sourceSchema)}.${quoteIdent(spec.legacy)}`;
  const archiveName = `archived_${spec.legacy}`;
  const archive = `${quoteIdent(o.sourceSchema)}.${quoteIdent(archiveName)}`;
  await source.query(`BEGIN ISOLATION LEVEL REPEATABLE READ${o.dryRun ? ' READ ONLY' : ''}`);
  await target.query(o.dryRun ? 'BEGIN READ ONLY' : 'BEGIN');
  try {
    if (!o.dryRun) {
      const { rows } = await target.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS ok',
        [IMPORT_LOCK_KEY],
      );
      if (!rows[0].ok) throw new Error('another legacy import is running on the target');
    }
    const { rows: has } = await target.query<{ has: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${spec.target} WHERE legacy_ref LIKE $1) AS has`,
      [`${spec.legacy}:%`],
    );
    const writer = new LegacyWriter(target, spec, report, {
      dryRun: o.dryRun,
      hasRefs: has[0].has,
      failAfter: o.failAfter?.table === spec.legacy ? o.failAfter.rows : undefined,
    });
    const settler = new Settler<R>(spec.legacy);
    let rows: R[] = [];
    let ids: LegacyId[] = [];
    let losers: Loser[] = [];
    const flush = async (force: boolean) => {
      if (!force && rows.length + losers.length < o.batchSize) return;
      if (!rows.length && !losers.length) return;
      await writer.process(rows, ids, losers, (k) => settler.winners.get(k));
      rows = [];
      ids = [];
      losers = [];
    };
    const settle = async () => {
      const s = settler.settle();
      for (const w of s.winners) {
        rows.push(w.row);
        ids.push(w.id);
        await flush(false);
      }
      for (const l of s.losers) {
        losers.push(l);
        await flush(false);
      }
      await flush(true); // the losers' reasons read this group's winners
    };
    await source.query(
      `DECLARE legacy_rows NO SCROLL CURSOR FOR SELECT ${spec.select} FROM ${qualified}${spec.orderBy ? ` ORDER BY ${spec.orderBy}` : ''}`,
    );
    let group: string | null = null;
    let nextLog = 100_000;
    for (;;) {
      const { rows: batch } = await source.query(`FETCH ${o.batchSize} FROM legacy_rows`);
      if (!batch.length) break;
      for (const raw of batch as Record<string, unknown>[]) {
        report.read += 1;
        const m = spec.map(raw, ctx);
        countStatus(report, m.from, m.to);
        if (m.kind === 'skip') {
          report.skipped.add({ id: m.id, code: m.code, reason: m.reason });
          continue;
        }
        if (m.warnings.length) {
          report.warnings.add({ id: m.id, code: 'warning', reason: m.warnings.join('; ') });
        }
        if (m.key === null) {
          rows.push(m.row);
          ids.push(m.id);
          await flush(false);
          continue;
        }
        if (spec.groupOf) {
          const g = spec.groupOf(raw);
          if (g !== group) {
            await settle();
            group = g;
          }
        }
        settler.offer(m);
      }
      if (report.read >= nextLog) {
        log?.info({ table: spec.legacy, read: report.read, created: report.created }, 'reading');
        nextLog += 100_000;
      }
    }
    await settle();
    await flush(true);
    await source.query('CLOSE legacy_rows');

    const v: Verification = {
      ok: true,
      equation: `read ${report.read} = created ${report.created} + alreadyImported ${report.alreadyImported} + alreadyThere ${report.alreadyThere.count} + skipped ${report.skipped.count}`,
      problems: [],
    };
    report.verification = v;
    if (
      report.read !==
      report.created + report.alreadyImported + report.alreadyThere.count + report.skipped.count
    ) {
      v.problems.push('the counts do not add up');
    }
    const expected = writer.checksum.toString();
    if (!o.dryRun) {
      const t = await writer.targetChecksum(ctx.run);
      v.target = { ...t, expectedChecksum: expected };
      if (t.rows !== report.created)
        v.problems.push(`the target holds ${t.rows} rows of this run, not ${report.created}`);
      if (t.checksum !== expected)
        v.problems.push('the target checksum differs from the mapped rows');

      // The archive, in the source's snapshot: exactly the rows read.
      const { rows: ex } = await source.query<{ exists: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS exists',
        [archive],
      );
      if (!ex[0].exists) {
        const made = await source.query(`CREATE TABLE ${archive} AS SELECT * FROM ${qualified}`);
        report.archive = { table: archiveName, created: true, rowsAdded: made.rowCount ?? 0 };
      } else {
        const added = await source.query(
          `INSERT INTO ${archive} SELECT * FROM ${qualified} EXCEPT SELECT * FROM ${archive}`,
        );
        report.archive = { table: archiveName, created: false, rowsAdded: added.rowCount ?? 0 };
      }
      const sum = async (table: string) =>
        (
          await source.query<{ rows: number; checksum: string }>(
            `SELECT count(*)::int AS rows, coalesce(sum(${sqlRowHash('t::text')}), 0)::text AS checksum FROM ${table} t`,
          )
        ).rows[0];
      const src = await sum(qualified);
      const arc = await sum(archive);
      let missing = 0;
      if (report.archive.created) {
        if (src.rows !== arc.rows || src.checksum !== arc.checksum) missing = -1;
      } else {
        const { rows: mm } = await source.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT * FROM ${qualified} EXCEPT SELECT * FROM ${archive}) m`,
        );
        missing = mm[0].n;
      }
      v.archive = {
        table: archiveName,
        rows: arc.rows,
        sourceRows: src.rows,
        sourceChecksum: src.checksum,
        archiveChecksum: arc.checksum,
        missing,
      };
      if (src.rows !== report.read)
        v.problems.push(`the source holds ${src.rows} rows, ${report.read} read`);
      if (missing !== 0) v.problems.push('the archive does not hold every source row');
    } else {
      v.target = { rows: report.created, checksum: expected, expectedChecksum: expected };
    }
    v.ok = v.problems.length === 0;
    if (!v.ok) throw new VerificationFailed(`verification failed: ${v.problems.join('; ')}`);

    if (o.dryRun) {
      await rollback(target);
      await rollback(source);
      report.outcome = 'dry-run';
    } else {
      await target.query('COMMIT');
      try {
        await source.query('COMMIT');
      } catch (err) {
        report.outcome = 'imported';
        report.error = `the target is imported but the archive could not be committed (${(err as Error).message}): run the import again to create it`;
        throw Object.assign(new Error(report.error), { reported: true });
      }
      report.outcome =
        report.created || report.archive?.created || report.archive?.rowsAdded
          ? 'imported'
          : 'unchanged';
    }
  } catch (err) {
    await rollback(target);
    await rollback(source);
    if (!(err as { reported?: boolean }).reported) {
      report.outcome = 'failed';
      report.error = (err as Error).message;
      // Nothing of this table stays: the counts say what had been done when it failed.
    }
    throw err;
  } finally {
    report.seconds = (performance.now() - started) / 1000;
    log?.info(
      {
        table: spec.legacy,
        outcome: report.outcome,
        read: report.read,
        created: report.created,
        seconds: Number(report.seconds.toFixed(2)),
      },
      'table done',
    );
  }
}

/**
 * Runs the import (or the dry run) and returns its report. Stops at the first table that
 * fails (that table rolled back, the ones before it kept, the ones after it not run).
 * Throws LegacyImportRefused, having done nothing, when a side is not what it should be.
 */
export async function runLegacyImport(options: LegacyImportOptions): Promise<LegacyImportResult> {
  const o = {
    dryRun: false,
    sourceSchema: 'public',
    batchSize: 5000,
    ...options,
  };
  const tables = [...new Set(o.tables ?? LEGACY_TABLES)];
  const now = (o.now ?? (() => new Date()))();
  const ctx: MapContext = {
    run: uuidv7(),
    importedAt: now.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
  };
  checkUrl(o.sourceUrl, 'source');
  checkUrl(o.targetUrl, 'target');
  let source: Client | null = null;
  let target: Client | null = null;
  const dir = spoolDir();
  const report: ImportReport = {
    dryRun: o.dryRun,
    run: ctx.run,
    startedAt: now.toISOString(),
    finishedAt: now.toISOString(),
    source: redacted(o.sourceUrl),
    target: redacted(o.targetUrl),
    ok: false,
    changed: false,
    tables: {},
  };
  try {
    source = await connect(o.sourceUrl, 'source');
    target = await connect(o.targetUrl, 'target');
    // The target's ETFs, read once the target is known to be migrated.
    let etfs: EtfLookup = { find: () => null, near: () => null };
    const specs: Record<LegacyTable, AnySpec> = {
      task_status: TASK_STATUS,
      etf_updates: etfUpdatesSpec({ find: (id) => etfs.find(id), near: (id) => etfs.near(id) }),
      daily_update_tracking: DAILY_UPDATE_TRACKING,
    };
    const chosen = tables.map((t) => specs[t]);
    await checkSource(source, o.sourceSchema, chosen, o.dryRun);
    await checkTarget(target, chosen);
    if (tables.includes('etf_updates')) {
      const { rows } = await target.query<{ symbol: string }>('SELECT symbol FROM etfs');
      etfs = etfLookup(rows.map((e) => e.symbol));
    }
    for (const spec of chosen)
      report.tables[spec.legacy] = newTableReport(spec.target, dir, spec.legacy);
    let failed = false;
    for (const spec of chosen) {
      const tr = report.tables[spec.legacy]!;
      try {
        await importTable(spec as unknown as TableSpec<ImportedRow>, source, target, ctx, tr, o);
      } catch (err) {
        failed = true;
        o.logger?.error(
          { table: spec.legacy, err: { message: (err as Error).message } },
          'table failed',
        );
        break;
      }
    }
    report.ok = !failed;
    report.changed = Object.values(report.tables).some((t) => t.outcome === 'imported');
  } catch (err) {
    removeSpools(dir);
    throw err;
  } finally {
    report.finishedAt = new Date().toISOString();
    for (const t of Object.values(report.tables)) {
      t.skipped.close();
      t.alreadyThere.close();
      t.warnings.close();
    }
    await source?.end().catch(() => undefined);
    await target?.end().catch(() => undefined);
  }
  return { report, dispose: () => removeSpools(dir) };
}
