/**
 * The import's report. Per-row lists (skipped, already there, warnings) can reach a million
 * entries: they are spooled to a temporary file as they come and streamed back into the
 * JSON document when it is printed, so memory stays flat whatever the table's size.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { LegacyId, LegacyTable } from './legacy-mappers';

export interface ListedRow {
  id: LegacyId;
  reason: string;
  /** Stable reason code, for grouping. */
  code: string;
}

/** Entries appended to a file, read back once; counts and the first examples per code kept. */
export class Spool {
  count = 0;
  readonly byCode: Record<string, number> = {};
  readonly examples: Record<string, LegacyId[]> = {};
  private fd: number | null;
  private buffer: string[] = [];
  private bufferedChars = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  add(entry: ListedRow): void {
    this.count += 1;
    this.byCode[entry.code] = (this.byCode[entry.code] ?? 0) + 1;
    const ex = (this.examples[entry.code] ??= []);
    if (ex.length < 3) ex.push(entry.id);
    const line = JSON.stringify(entry);
    this.buffer.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars > 1 << 16) this.flush();
  }

  private flush(): void {
    if (!this.buffer.length || this.fd === null) return;
    writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.bufferedChars = 0;
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** The entries, as JSON text, in the order they were added. */
  async *lines(): AsyncGenerator<string> {
    this.close();
    const rl = createInterface({ input: createReadStream(this.path), crlfDelay: Infinity });
    for await (const line of rl) if (line) yield line;
  }
}

export interface Verification {
  ok: boolean;
  /** read = created + alreadyImported + alreadyThere + skipped, with the numbers. */
  equation: string;
  /** Rows this run wrote, as counted in the target before its commit, and their checksum. */
  target?: { rows: number; checksum: string; expectedChecksum: string };
  /** The archive holds every source row read: rows and checksums of both. */
  archive?: {
    table: string;
    rows: number;
    sourceRows: number;
    sourceChecksum: string;
    archiveChecksum: string;
    /** Source rows not found in the archive (must be 0). */
    missing: number;
  };
  problems: string[];
}

export interface TableReport {
  target: string;
  outcome: 'dry-run' | 'imported' | 'unchanged' | 'failed' | 'not-run';
  read: number;
  /** Rows created (in a dry run: that would be created). */
  created: number;
  /** Rows whose legacy_ref is in the target already (an earlier run). */
  alreadyImported: number;
  /** Rows whose key the target has under another origin (the new system's own run): never overwritten. */
  alreadyThere: Spool;
  skipped: Spool;
  /** Rows imported with something odd about them (also written in the row's notes). */
  warnings: Spool;
  /**
   * old status → new status → rows read. Null-prototype objects (statusCounts): the keys are
   * legacy free text, and `constructor` or `__proto__` must count like any other status.
   */
  statuses: Record<string, Record<string, number>>;
  archive: { table: string; created: boolean; rowsAdded: number } | null;
  verification: Verification | null;
  error?: string;
  seconds: number;
}

/** An object without a prototype, for counts keyed by legacy text. */
export function statusCounts(): Record<string, Record<string, number>> {
  return Object.create(null) as Record<string, Record<string, number>>;
}

/** Counts one row read: its old status and what it maps to. */
export function countStatus(report: TableReport, from: string, to: string): void {
  const tos = (report.statuses[from] ??= Object.create(null) as Record<string, number>);
  tos[to] = (tos[to] ?? 0) + 1;
}

export function newTableReport(target: string, dir: string, table: LegacyTable): TableReport {
  return {
    target,
    outcome: 'not-run',
    read: 0,
    created: 0,
    alreadyImported: 0,
    alreadyThere: new Spool(join(dir, `${table}.already-there.ndjson`)),
    skipped: new Spool(join(dir, `${table}.skipped.ndjson`)),
    warnings: new Spool(join(dir, `${table}.warnings.ndjson`)),
    statuses: statusCounts(),
    archive: null,
    verification: null,
    seconds: 0,
  };
}

export interface ImportReport {
  dryRun: boolean;
  run: string;
  startedAt: string;
  finishedAt: string;
  source: string;
  target: string;
  /** Whether every table ran and verified. */
  ok: boolean;
  /** Whether this run changed anything (a second run says false). */
  changed: boolean;
  tables: Partial<Record<LegacyTable, TableReport>>;
}

export function spoolDir(): string {
  return mkdtempSync(join(tmpdir(), 'legacy-import-'));
}

export function removeSpools(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
}

const LISTS = ['skipped', 'alreadyThere', 'warnings'] as const;

/**
 * Prints the report as one JSON document, the per-row lists streamed from their spools:
 * `{ dryRun, …, tables: { task_status: { read, created, alreadyImported, alreadyThere:
 * [{ id, reason, code }], skipped: [{ id, reason, code }], statuses, … } } }`.
 */
export async function writeJsonReport(report: ImportReport, out: Writable): Promise<void> {
  // Where each list goes: a placeholder string no legacy text can spell (a status or an
  // error that read like it would otherwise be replaced by a list, breaking the document).
  const nonce = randomBytes(12).toString('hex');
  const marker = (table: string, list: string) => `@@spool:${nonce}:${table}:${list}@@`;
  const spools = new Map<string, Spool>();
  const tables: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(report.tables)) {
    const plain: Record<string, unknown> = { ...t };
    for (const list of LISTS) {
      plain[list] = marker(name, list);
      spools.set(marker(name, list), t[list]);
      plain[`${list}ByReason`] = t[list].byCode;
    }
    tables[name] = plain;
  }
  const text = JSON.stringify({ ...report, tables });
  const parts = text.split(new RegExp(`"(@@spool:${nonce}:[a-z_]+:[A-Za-z]+@@)"`));
  for (let i = 0; i < parts.length; i += 1) {
    if (i % 2 === 0) {
      await write(out, parts[i]);
      continue;
    }
    await write(out, '[');
    let first = true;
    let chunk: string[] = [];
    for await (const line of spools.get(parts[i])!.lines()) {
      chunk.push(line);
      if (chunk.length >= 2000) {
        await write(out, (first ? '' : ',') + chunk.join(','));
        first = false;
        chunk = [];
      }
    }
    if (chunk.length) await write(out, (first ? '' : ',') + chunk.join(','));
    await write(out, ']');
  }
  await write(out, '\n');
}

function byCodeText(spool: Spool): string[] {
  return Object.entries(spool.byCode).map(
    ([code, n]) =>
      `      ${code}: ${n} (e.g. ${spool.examples[code].map((id) => JSON.stringify(id)).join(', ')})`,
  );
}

/** The report for a person: counts, reasons with examples, statuses, verification. */
export function textReport(report: ImportReport): string {
  const lines: string[] = [];
  lines.push(
    `legacy import ${report.dryRun ? '(DRY RUN: nothing written) ' : ''}run ${report.run}`,
    `  source ${report.source} → target ${report.target}`,
  );
  for (const [name, t] of Object.entries(report.tables)) {
    lines.push('', `${name} → ${t.target}: ${t.outcome} in ${t.seconds.toFixed(1)} s`);
    if (t.error) lines.push(`  ERROR: ${t.error}`);
    lines.push(
      `  read ${t.read}, ${report.dryRun ? 'would create' : 'created'} ${t.created}, already imported ${t.alreadyImported}, already there ${t.alreadyThere.count}, skipped ${t.skipped.count}`,
    );
    if (t.alreadyThere.count) lines.push('    already there:', ...byCodeText(t.alreadyThere));
    if (t.skipped.count) lines.push('    skipped:', ...byCodeText(t.skipped));
    if (t.warnings.count)
      lines.push(`    imported with warnings (in their notes): ${t.warnings.count}`);
    lines.push('  statuses (old → new: rows):');
    for (const [from, tos] of Object.entries(t.statuses)) {
      for (const [to, n] of Object.entries(tos))
        lines.push(`    ${JSON.stringify(from)} → ${to}: ${n}`);
    }
    if (t.archive) {
      lines.push(
        `  archive ${t.archive.table}: ${t.archive.created ? 'created' : 'kept'}, ${t.archive.rowsAdded} rows added`,
      );
    }
    if (t.verification) {
      const v = t.verification;
      lines.push(`  verification ${v.ok ? 'OK' : 'FAILED'}: ${v.equation}`);
      if (v.target) {
        lines.push(
          `    target: ${v.target.rows} rows of this run, checksum ${v.target.checksum} (expected ${v.target.expectedChecksum})`,
        );
      }
      if (v.archive) {
        lines.push(
          `    archive: ${v.archive.rows} rows, ${v.archive.missing} source rows missing, checksum ${v.archive.archiveChecksum} (source ${v.archive.sourceChecksum})`,
        );
      }
      for (const p of v.problems) lines.push(`    problem: ${p}`);
    }
  }
  lines.push(
    '',
    report.ok && report.dryRun
      ? 'dry run: nothing was written.'
      : report.ok
        ? report.changed
          ? 'done.'
          : 'nothing changed: every row was imported already or is reported above.'
        : 'FAILED: see the errors above; the failed table is as it was on both sides.',
  );
  return `${lines.join('\n')}\n`;
}
