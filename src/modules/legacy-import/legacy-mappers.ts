/**
 * Pure mapping of the old system's rows (seed 002, phases 3 and 5) into the new tracking
 * tables. No I/O, no clock: the import time and the ETF lookup come in a context. Every
 * function answers for every input: a row either maps (possibly with warnings, kept in its
 * notes) or is skipped with a reason; nothing throws on malformed data.
 */
import { JobStatus } from '../../common/tracking/job-status';
import type { EtfUpdateType } from '../etf-prices/etf-update.entity';

export const LEGACY_TABLES = ['task_status', 'etf_updates', 'daily_update_tracking'] as const;
export type LegacyTable = (typeof LEGACY_TABLES)[number];

/** Who the imported rows say created them. */
export const IMPORTED_BY = 'legacy-import';

export type FinalStatus = JobStatus.COMPLETED | JobStatus.FAILED | JobStatus.CANCELLED;

// ---------------------------------------------------------------------------------------
// Statuses

export interface StatusMapping {
  status: FinalStatus;
  /** Whether the legacy row says an attempt ran (for `attempts` where no count exists). */
  ran: boolean;
  /** Why the status is not the obvious one (unknown, or never finished); null otherwise. */
  note: string | null;
}

const COMPLETED = [
  'completed',
  'complete',
  'success',
  'succeeded',
  'successful',
  'done',
  'finished',
  'ok',
];
const FAILED = ['failed', 'failure', 'fail', 'error', 'errored', 'timeout', 'timed_out'];
const CANCELLED = ['cancelled', 'canceled', 'aborted', 'revoked', 'skipped'];
/** Not ended in the old system: it will never end now; imported as CANCELLED. */
const UNFINISHED_NOT_STARTED = ['pending', 'queued', 'scheduled', 'created', 'new', 'waiting'];
const UNFINISHED_STARTED = [
  'running',
  'in_progress',
  'processing',
  'started',
  'retrying',
  'retry',
  'active',
];

/** 'In Progress', ' SUCCESS ', 'timed-out' → 'in_progress', 'success', 'timed_out'. */
export function normalizeWord(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/**
 * The old free-text status, in any case, to a terminal status. An unknown status is kept as
 * FAILED with the original in the note (never dropped); a status that had not ended in the
 * old system is CANCELLED (the old system is switched off: it will never end).
 */
export function mapLegacyStatus(raw: string | null | undefined): StatusMapping {
  const word = typeof raw === 'string' ? normalizeWord(raw) : '';
  if (COMPLETED.includes(word)) return { status: JobStatus.COMPLETED, ran: true, note: null };
  if (FAILED.includes(word)) return { status: JobStatus.FAILED, ran: true, note: null };
  if (CANCELLED.includes(word)) return { status: JobStatus.CANCELLED, ran: false, note: null };
  if (UNFINISHED_NOT_STARTED.includes(word) || UNFINISHED_STARTED.includes(word)) {
    return {
      status: JobStatus.CANCELLED,
      ran: UNFINISHED_STARTED.includes(word),
      note: `legacy status ${JSON.stringify(raw)}: had not ended when the old system was switched off`,
    };
  }
  return {
    status: JobStatus.FAILED,
    ran: true,
    note: `unknown legacy status ${raw == null ? 'null' : JSON.stringify(raw)}, imported as FAILED`,
  };
}

const STATUS_RANK: Record<FinalStatus, number> = {
  [JobStatus.COMPLETED]: 3,
  [JobStatus.FAILED]: 2,
  [JobStatus.CANCELLED]: 1,
};

// ---------------------------------------------------------------------------------------
// Dates

const NAIVE_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])/;

function validYmd(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d <= days;
}

/**
 * A naive timestamp as PostgreSQL prints it ('2026-04-02 16:15:03.123456'), read as UTC:
 * '2026-04-02T16:15:03.123456Z' (always six fraction digits, so nothing is lost). Null for
 * null and for what does not parse ('infinity', BC, a year past 9999, Feb 30).
 */
export function parseNaiveTimestamp(text: string | null | undefined): string | null {
  if (typeof text !== 'string') return null;
  const m = NAIVE_TS.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  const frac = (m[7] ?? '').padEnd(6, '0');
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}Z`;
}

/**
 * A calendar date: 'YYYY-MM-DD', or a date-time whose date part is taken as written
 * ('2026-04-02T00:00:00', '2026-04-02 16:00'). Null when it does not parse.
 */
export function parseLegacyDate(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const m = DATE_PREFIX.exec(text.trim());
  if (!m) return null;
  if (!validYmd(Number(m[1]), Number(m[2]), Number(m[3]))) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** A DATE column as PostgreSQL prints it: exactly 'YYYY-MM-DD' (not 'infinity', not BC). */
export function parseSqlDate(text: unknown): string | null {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  return parseLegacyDate(text);
}

/** Microseconds since the epoch of an ISO instant written by parseNaiveTimestamp (checksums). */
export function isoMicros(iso: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/.exec(iso);
  if (!m) throw new RangeError(`not an instant of parseNaiveTimestamp: ${iso}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return BigInt(d.getTime()) * 1000n + BigInt(m[7]);
}

// ---------------------------------------------------------------------------------------
// Mapped rows

/** The base columns every imported row sets (the rest keep their defaults). */
export interface ImportedRow {
  legacyRef: string;
  status: FinalStatus;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  attempts: number;
  maxAttempts: number;
  progress: number;
  errorMessage: string | null;
  notes: string | null;
  result: Record<string, unknown>;
}

export interface ExchangeRateRow extends ImportedRow {
  updateDate: string;
  baseCurrency: string;
  targetCurrencies: string[] | null;
}

export interface EtfUpdateRow extends ImportedRow {
  etfId: string;
  updateType: EtfUpdateType;
  startDate: string;
  endDate: string;
  missingDates: string[];
}

export interface DailyRow extends ImportedRow {
  updateDate: string;
  updateType: string;
  state: 'scheduled' | 'done' | 'failed';
  dataFound: boolean | null;
}

/** The report's id of a legacy row: the primary key (date/type for daily_update_tracking). */
export type LegacyId = number | string;

interface Common {
  id: LegacyId;
  /** The old status as the report's `statuses` map shows it. */
  from: string;
  /** What it maps to. */
  to: FinalStatus;
  /** Oddities of the row that did not stop it (also in the row's notes). */
  warnings: string[];
}

export interface Skip extends Common {
  kind: 'skip';
  /** Stable, for grouping: `other_task_type`, `metadata_null`, … */
  code: string;
  reason: string;
}

export interface Candidate<R extends ImportedRow> extends Common {
  kind: 'row';
  row: R;
  /**
   * The row's natural key in its target table (one row per key there), or null where the
   * target keeps several rows per key (etf_updates: the history of attempts).
   */
  key: string | null;
  /** Higher wins among legacy rows of one key: the best outcome, then the latest, then the id. */
  rank: (number | string)[];
}

export type Mapped<R extends ImportedRow> = Skip | Candidate<R>;

/** Lexicographic comparison of two ranks: > 0 when `a` beats `b`. */
export function compareRank(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x === y) continue;
    return x > y ? 1 : -1;
  }
  return 0;
}

export interface MapContext {
  /** This run's id, kept in every row's `result`. */
  run: string;
  /** The import's time (ISO), for rows whose legacy time is missing or unreadable. */
  importedAt: string;
}

function importedResult(
  ctx: MapContext,
  legacyTable: LegacyTable,
  legacyId: LegacyId,
  legacyStatus: unknown,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    imported: true,
    legacyTable,
    legacyId,
    legacyStatus,
    importRun: ctx.run,
    importedAt: ctx.importedAt,
    ...extra,
  };
}

function joinNotes(...parts: (string | null | undefined)[]): string | null {
  const kept = parts.filter((p): p is string => !!p && p.trim() !== '');
  return kept.length ? kept.join('; ') : null;
}

/** created/updated/completed from the legacy times, with warnings for the unreadable ones. */
function times(
  ctx: MapContext,
  created: { name: string; text: string | null },
  updated: { name: string; text: string | null } | null,
  warnings: string[],
) {
  const read = (c: { name: string; text: string | null }) => {
    const iso = parseNaiveTimestamp(c.text);
    if (c.text != null && iso === null) {
      warnings.push(`${c.name} ${JSON.stringify(c.text)} does not parse`);
    }
    return iso;
  };
  const createdIso = read(created);
  const updatedIso = updated ? read(updated) : null;
  if (!createdIso) {
    const standIn = updatedIso ? updated!.name : 'the import time';
    warnings.push(`${created.name} missing: ${standIn} stands in`);
  }
  const createdAt = createdIso ?? updatedIso ?? ctx.importedAt;
  const updatedAt = updatedIso ?? createdAt;
  return { createdAt, updatedAt };
}

// ---------------------------------------------------------------------------------------
// task_status → exchange_rate_updates

export interface LegacyTaskStatus {
  id: number;
  task_type: string;
  status: string;
  resource_id: number | null;
  error: string | null;
  /** The jsonb as text (`::text`), so that SQL NULL and JSON null stay apart. */
  task_metadata: string | null;
  created_at: string | null;
  updated_at: string | null;
}

export const EXCHANGE_RATE_TASK_TYPE = 'exchange_rate_update';
const CURRENCY = /^[A-Z]{3}$/;

type MetadataRead =
  | { ok: true; value: Record<string, unknown>; warning: string | null }
  | { ok: false; code: string; reason: string };

function kindOf(value: unknown): string {
  if (value === null) return 'JSON null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** task_metadata (jsonb as text) as an object, or why not. */
export function readTaskMetadata(text: string | null): MetadataRead {
  if (text === null) return { ok: false, code: 'metadata_null', reason: 'task_metadata is null' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: 'metadata_not_object', reason: 'task_metadata is not JSON' };
  }
  let warning: string | null = null;
  if (typeof value === 'string') {
    // Written double-encoded by some legacy code paths: a JSON string holding the object.
    try {
      const inner: unknown = JSON.parse(value);
      if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
        value = inner;
        warning = 'task_metadata was a JSON string holding the object (double-encoded)';
      }
    } catch {
      // stays a string: reported below
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      code: 'metadata_not_object',
      reason: `task_metadata is ${kindOf(value)}, not an object`,
    };
  }
  return { ok: true, value: value as Record<string, unknown>, warning };
}

export function mapTaskStatus(raw: LegacyTaskStatus, ctx: MapContext): Mapped<ExchangeRateRow> {
  const mapping = mapLegacyStatus(raw.status);
  const warnings: string[] = [];
  const common = { id: raw.id, from: String(raw.status), to: mapping.status, warnings };
  const skip = (code: string, reason: string): Skip => ({ ...common, kind: 'skip', code, reason });
  if (
    typeof raw.task_type !== 'string' ||
    normalizeWord(raw.task_type) !== EXCHANGE_RATE_TASK_TYPE
  ) {
    return skip(
      'other_task_type',
      `task_type ${JSON.stringify(raw.task_type)} has no new home (kept in archived_task_status)`,
    );
  }
  const meta = readTaskMetadata(raw.task_metadata);
  if (!meta.ok) return skip(meta.code, meta.reason);
  if (meta.warning) warnings.push(meta.warning);
  const m = meta.value;
  if (!('date' in m) || m.date === null || m.date === undefined || m.date === '') {
    return skip('metadata_no_date', 'task_metadata has no date');
  }
  const updateDate = parseLegacyDate(m.date);
  if (!updateDate) {
    return skip(
      'metadata_bad_date',
      `task_metadata.date ${JSON.stringify(m.date)} does not parse as a date`,
    );
  }
  const baseRaw = m.base_currency ?? m.base;
  let baseCurrency = 'EUR';
  if (baseRaw !== undefined && baseRaw !== null) {
    if (typeof baseRaw === 'string' && CURRENCY.test(baseRaw.trim().toUpperCase())) {
      baseCurrency = baseRaw.trim().toUpperCase();
    } else warnings.push(`task_metadata base ${JSON.stringify(baseRaw)} unusable: EUR taken`);
  }
  let targetCurrencies: string[] | null = null;
  if (m.currencies !== undefined && m.currencies !== null) {
    if (Array.isArray(m.currencies)) {
      const good = m.currencies
        .filter((c): c is string => typeof c === 'string')
        .map((c) => c.trim().toUpperCase())
        .filter((c) => CURRENCY.test(c));
      const unique = [...new Set(good)];
      if (good.length !== m.currencies.length) {
        warnings.push(
          `task_metadata.currencies: ${m.currencies.length - good.length} entries are not currency codes (dropped)`,
        );
      }
      targetCurrencies = unique.length ? unique : null;
    } else {
      warnings.push(`task_metadata.currencies is ${kindOf(m.currencies)}: every currency assumed`);
    }
  }
  const t = times(
    ctx,
    { name: 'created_at', text: raw.created_at },
    { name: 'updated_at', text: raw.updated_at },
    warnings,
  );
  const attempts = mapping.ran ? 1 : 0;
  const row: ExchangeRateRow = {
    legacyRef: `task_status:${raw.id}`,
    status: mapping.status,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    completedAt: t.updatedAt,
    attempts,
    maxAttempts: Math.max(attempts, 1),
    progress: mapping.status === JobStatus.COMPLETED ? 100 : 0,
    errorMessage: raw.error ?? null,
    notes: joinNotes('imported from task_status', mapping.note, ...warnings),
    result: importedResult(ctx, 'task_status', raw.id, raw.status, {
      legacyTaskType: raw.task_type,
      legacyResourceId: raw.resource_id,
      legacyMetadata: m,
    }),
    updateDate,
    baseCurrency,
    targetCurrencies,
  };
  return {
    ...common,
    kind: 'row',
    row,
    key: `${updateDate}|${baseCurrency}`,
    rank: [STATUS_RANK[mapping.status], t.updatedAt, raw.id],
  };
}

// ---------------------------------------------------------------------------------------
// etf_updates → etf_updates

export interface LegacyEtfUpdate {
  id: number;
  etf_id: string;
  update_type: string;
  /** DATE as text ('2026-04-02', or 'infinity'). */
  start_date: string | null;
  end_date: string | null;
  status: string;
  created_at: string | null;
  completed_at: string | null;
  error: string | null;
  /** DATE[] as text[] (elements may be null). */
  missing_dates: (string | null)[] | null;
  retry_count: number | null;
  notes: string | null;
}

/**
 * Lookups keyed by legacy free text are Maps: a plain object would answer `constructor`,
 * `toString` or `__proto__` with what it inherits from Object.prototype.
 */
const ETF_TYPES = new Map(
  Object.entries<EtfUpdateType>({
    daily: 'daily',
    daily_update: 'daily',
    incremental: 'daily',
    latest: 'daily',
    backfill: 'backfill',
    historical: 'backfill',
    history: 'backfill',
    full: 'backfill',
    initial: 'backfill',
    bulk: 'backfill',
    range: 'backfill',
    repair: 'repair',
    missing: 'repair',
    missing_dates: 'repair',
    gap_fill: 'repair',
    gaps: 'repair',
    fix: 'repair',
  }),
);

/** The legacy update_type to one of daily/backfill/repair; an unknown one is a backfill (of its range). */
export function mapEtfUpdateType(raw: string): { type: EtfUpdateType; known: boolean } {
  const type = ETF_TYPES.get(normalizeWord(raw ?? ''));
  return type ? { type, known: true } : { type: 'backfill', known: false };
}

/**
 * The new system's symbol for a legacy etf_id: exactly the same text, or null (the row is
 * skipped). `near` names a symbol that differs in case or surrounding spaces only, for the
 * skip reason: it is not taken as the same ETF (`SPY` and `spy` were two rows of the
 * legacy etfs, whose id is case-sensitive).
 */
export interface EtfLookup {
  find(legacyId: string): string | null;
  near(legacyId: string): string | null;
}

export function etfLookup(symbols: Iterable<string>): EtfLookup {
  const exact = new Set(symbols);
  const folded = new Map<string, string[]>();
  for (const s of exact) {
    const k = s.trim().toUpperCase();
    folded.set(k, [...(folded.get(k) ?? []), s]);
  }
  return {
    find: (id) => (exact.has(id) ? id : null),
    near: (id) => folded.get(String(id).trim().toUpperCase())?.join(', ') ?? null,
  };
}

export function mapEtfUpdate(
  raw: LegacyEtfUpdate,
  ctx: MapContext,
  etfs: EtfLookup,
): Mapped<EtfUpdateRow> {
  const mapping = mapLegacyStatus(raw.status);
  const warnings: string[] = [];
  const common = { id: raw.id, from: String(raw.status), to: mapping.status, warnings };
  const skip = (code: string, reason: string): Skip => ({ ...common, kind: 'skip', code, reason });
  const etfId = etfs.find(raw.etf_id);
  if (!etfId) {
    const near = etfs.near(raw.etf_id);
    return skip(
      'unknown_etf',
      `etf_id ${JSON.stringify(raw.etf_id)} is not in etfs (an ETF cannot be created without its ISIN, which the legacy table lacks)${near ? `; etfs has ${near}, which differs in case or spaces only and is not taken as the same ETF` : ''}`,
    );
  }
  const startDate = parseSqlDate(raw.start_date);
  const endDate = parseSqlDate(raw.end_date);
  if (!startDate || !endDate) {
    const which = !startDate ? `start_date ${raw.start_date}` : `end_date ${raw.end_date}`;
    return skip('bad_date', `${which} does not parse as a date`);
  }
  if (startDate > endDate) {
    return skip('bad_range', `start_date ${startDate} is after end_date ${endDate}`);
  }
  const type = mapEtfUpdateType(raw.update_type);
  if (!type.known) {
    warnings.push(`unknown legacy update_type ${JSON.stringify(raw.update_type)}: a backfill`);
  }
  const missing = (raw.missing_dates ?? []).map((d) => parseSqlDate(d));
  const missingDates = [...new Set(missing.filter((d): d is string => d !== null))].sort();
  if (missingDates.length !== (raw.missing_dates ?? []).length) {
    warnings.push('missing_dates: unreadable or repeated dates dropped');
  }
  let retries = raw.retry_count ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    warnings.push(`retry_count ${raw.retry_count} read as 0`);
    retries = 0;
  }
  const created = parseNaiveTimestamp(raw.created_at);
  if (raw.created_at != null && !created) {
    warnings.push(`created_at ${JSON.stringify(raw.created_at)} does not parse`);
  }
  const completed = parseNaiveTimestamp(raw.completed_at);
  if (raw.completed_at != null && !completed) {
    warnings.push(`completed_at ${JSON.stringify(raw.completed_at)} does not parse`);
  }
  if (!created) {
    warnings.push(
      `created_at missing: ${completed ? 'completed_at' : 'the import time'} stands in`,
    );
  }
  const createdAt = created ?? completed ?? ctx.importedAt;
  // retry_count counts the runs after the first: a row that never started ran `retries` times.
  const attempts = retries + (mapping.ran ? 1 : 0);
  const row: EtfUpdateRow = {
    legacyRef: `etf_updates:${raw.id}`,
    status: mapping.status,
    createdAt,
    updatedAt: completed ?? createdAt,
    completedAt: completed ?? createdAt,
    attempts,
    maxAttempts: Math.max(attempts, 1),
    progress: mapping.status === JobStatus.COMPLETED ? 100 : 0,
    errorMessage: raw.error ?? null,
    notes: joinNotes(raw.notes, mapping.note, ...warnings),
    result: importedResult(ctx, 'etf_updates', raw.id, raw.status, {
      legacyEtfId: raw.etf_id,
      legacyUpdateType: raw.update_type,
      legacyRetryCount: raw.retry_count,
    }),
    etfId,
    updateType: type.type,
    startDate,
    endDate,
    missingDates,
  };
  return { ...common, kind: 'row', row, key: null, rank: [] };
}

// ---------------------------------------------------------------------------------------
// daily_update_tracking → daily_updates

export interface LegacyDailyUpdate {
  /** DATE as text. */
  date: string;
  update_type: string;
  attempted: boolean | null;
  data_found: boolean | null;
  notes: string | null;
}

/** Legacy daily types that match a registered source; any other arrives under its own name. */
const DAILY_TYPES = new Map<string, string>([
  ['exchange_rates', 'exchange-rates'],
  ['exchange_rate', 'exchange-rates'],
]);

export function mapDailyType(raw: string): string {
  return DAILY_TYPES.get(normalizeWord(raw ?? '')) ?? raw;
}

export function dailyLegacyId(raw: Pick<LegacyDailyUpdate, 'date' | 'update_type'>): string {
  return `${raw.date}/${raw.update_type}`;
}

export function mapDailyUpdate(raw: LegacyDailyUpdate, ctx: MapContext): Mapped<DailyRow> {
  const id = dailyLegacyId(raw);
  const from = `attempted=${raw.attempted}, data_found=${raw.data_found}`;
  const warnings: string[] = [];
  let status: FinalStatus;
  let state: DailyRow['state'];
  let dataFound: boolean | null;
  let note: string;
  if (raw.attempted === null) warnings.push('attempted is null: read as false');
  if (raw.data_found === null && raw.attempted) warnings.push('data_found is null: read as false');
  if (raw.data_found) {
    status = JobStatus.COMPLETED;
    state = 'done';
    dataFound = true;
    note = 'legacy: data found';
    if (!raw.attempted) warnings.push('data found although not attempted: read as done');
  } else if (raw.attempted) {
    status = JobStatus.FAILED;
    state = 'failed';
    dataFound = false;
    note = 'legacy: attempted, no data found';
  } else {
    // A slot that never ran: it stays `scheduled` (the calendar shows it overdue), ended as
    // CANCELLED so that nothing runs it unless an operator re-runs it.
    status = JobStatus.CANCELLED;
    state = 'scheduled';
    dataFound = null;
    note = 'legacy: never attempted';
  }
  const common = { id, from, to: status, warnings };
  const date = parseSqlDate(raw.date);
  if (!date) {
    return { ...common, kind: 'skip', code: 'bad_date', reason: `date ${raw.date} does not parse` };
  }
  const updateType = mapDailyType(raw.update_type);
  const row: DailyRow = {
    legacyRef: `daily_update_tracking:${id}`,
    status,
    createdAt: ctx.importedAt,
    updatedAt: ctx.importedAt,
    completedAt: null, // the legacy table does not say when
    attempts: raw.attempted || raw.data_found ? 1 : 0,
    maxAttempts: 1,
    progress: status === JobStatus.COMPLETED ? 100 : 0,
    errorMessage:
      status === JobStatus.FAILED ? 'no data found (legacy daily_update_tracking)' : null,
    notes: joinNotes(raw.notes, note, ...warnings),
    result: importedResult(ctx, 'daily_update_tracking', id, from, {
      legacyUpdateType: raw.update_type,
      legacyAttempted: raw.attempted,
      legacyDataFound: raw.data_found,
    }),
    updateDate: date,
    updateType,
    state,
    dataFound,
  };
  return {
    ...common,
    kind: 'row',
    row,
    key: `${date}|${updateType}`,
    // Best outcome first; then the row already spelled as the new type; then the first read.
    rank: [STATUS_RANK[status], raw.update_type === updateType ? 1 : 0],
  };
}
