import type { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { IMPORTED_BY, type ImportedRow, type LegacyId } from './legacy-mappers';
import type { TableReport } from './legacy-report';
import { rowHash, sqlRowHash, type TableSpec } from './legacy-tables';

/** A legacy row that lost to another of the same key (only what its report line needs). */
export interface Loser {
  id: LegacyId;
  legacyRef: string;
  key: string;
}

/** A key's winner, for the losers' reason. */
export type WinnerOf = (key: string) => LegacyId | undefined;

/** Thrown by the failure hook (tests, docs: "a failure midway leaves both sides as before"). */
export class InjectedFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InjectedFailure';
  }
}

/**
 * Classifies and writes batches of mapped rows on the target's transaction: already imported
 * (its legacy_ref is there), already there (its key is there, from elsewhere), or created
 * (one INSERT … SELECT FROM unnest of bound arrays per batch; nothing in a dry run). Keeps
 * the JS checksum of what it created.
 */
export class LegacyWriter<R extends ImportedRow> {
  checksum = 0n;
  private readonly insertSql: string;

  constructor(
    private readonly target: Client,
    private readonly spec: TableSpec<R>,
    private readonly report: TableReport,
    private readonly options: {
      dryRun: boolean;
      /** Whether the target has any row of this legacy table yet (else no ref lookups). */
      hasRefs: boolean;
      failAfter?: number;
    },
  ) {
    const cols = ['id', 'created_by', ...spec.columns.map((c) => c.name)];
    const params = spec.columns.map((c, i) => `$${i + 3}::${c.type}[]`);
    const select = [
      't.id',
      '$2::text',
      ...spec.columns.map((c) => (c.cast ? `t.${c.name}::${c.cast}` : `t.${c.name}`)),
    ];
    this.insertSql = `INSERT INTO ${spec.target} (${cols.join(', ')})
      SELECT ${select.join(', ')}
      FROM unnest($1::uuid[], ${params.join(', ')}) AS t(id, ${spec.columns.map((c) => c.name).join(', ')})
      ON CONFLICT DO NOTHING
      RETURNING legacy_ref`;
  }

  private async existingRefs(refs: string[]): Promise<Set<string>> {
    if (!this.options.hasRefs || !refs.length) return new Set();
    const { rows } = await this.target.query<{ legacy_ref: string }>(
      `SELECT legacy_ref FROM ${this.spec.target} WHERE legacy_ref = ANY($1::text[])`,
      [refs],
    );
    return new Set(rows.map((r) => r.legacy_ref));
  }

  /** Key → legacy_ref (null: the new system's own row) of the keys the target has. */
  private async existingKeys(rows: readonly R[]): Promise<Map<string, string | null>> {
    const keyCols = this.spec.keyColumns;
    if (!keyCols || !rows.length) return new Map();
    const { rows: found } = await this.target.query<Record<string, string>>(
      `SELECT ${keyCols.map((k) => `${k.name}::text AS ${k.name}`).join(', ')}, legacy_ref
         FROM ${this.spec.target}
        WHERE (${keyCols.map((k) => k.name).join(', ')}) IN (
          SELECT * FROM unnest(${keyCols.map((k, i) => `$${i + 1}::${k.type}[]`).join(', ')}))`,
      keyCols.map((k) => rows.map((r) => k.value(r))),
    );
    return new Map(
      found.map((f) => [keyCols.map((k) => f[k.name]).join('|'), f.legacy_ref ?? null]),
    );
  }

  private alreadyThere(id: LegacyId, key: string, ref: string | null | undefined): void {
    const what = key.replace('|', '/');
    this.report.alreadyThere.add({
      id,
      code: ref ? 'key_imported_from_other_row' : 'key_written_by_new_system',
      reason: ref
        ? `${this.spec.target} has ${what} already, imported from ${ref}: left as it is`
        : `${this.spec.target} has ${what} already (written by the new system): left as it is`,
    });
  }

  /** One batch: winners (rows to create unless there already) and losers of their keys. */
  async process(
    rows: readonly R[],
    ids: readonly LegacyId[],
    losers: readonly Loser[],
    winnerOf: WinnerOf,
  ) {
    const refs = [...rows.map((r) => r.legacyRef), ...losers.map((l) => l.legacyRef)];
    const imported = await this.existingRefs(refs);
    for (const l of losers) {
      if (imported.has(l.legacyRef)) this.report.alreadyImported += 1;
      else {
        const winner = winnerOf(l.key);
        this.report.skipped.add({
          id: l.id,
          code: 'duplicate',
          reason: `duplicate of ${l.key.replace('|', '/')} in ${this.spec.legacy}: ${this.spec.legacy}:${winner} is the row taken for this key (${this.spec.duplicateRule})`,
        });
      }
    }
    const fresh: R[] = [];
    const freshIds: LegacyId[] = [];
    rows.forEach((r, i) => {
      if (imported.has(r.legacyRef)) this.report.alreadyImported += 1;
      else {
        fresh.push(r);
        freshIds.push(ids[i]);
      }
    });
    const keys = await this.existingKeys(fresh);
    const keyOf = (r: R) => this.spec.keyColumns!.map((k) => k.value(r)).join('|');
    const create: R[] = [];
    const createIds: LegacyId[] = [];
    fresh.forEach((r, i) => {
      if (this.spec.keyColumns && keys.has(keyOf(r)))
        this.alreadyThere(freshIds[i], keyOf(r), keys.get(keyOf(r)));
      else {
        create.push(r);
        createIds.push(freshIds[i]);
      }
    });
    if (!create.length) return;
    let written: Set<string> | null = null;
    if (!this.options.dryRun) {
      const { rows: back } = await this.target.query<{ legacy_ref: string }>(this.insertSql, [
        create.map(() => uuidv7()),
        IMPORTED_BY,
        ...this.spec.columns.map((c) => create.map((r) => c.value(r))),
      ]);
      written = new Set(back.map((b) => b.legacy_ref));
    }
    create.forEach((r, i) => {
      if (written && !written.has(r.legacyRef)) {
        // Its key (or ref) was written meanwhile by someone else: there already.
        this.alreadyThere(createIds[i], this.spec.keyColumns ? keyOf(r) : r.legacyRef, null);
        return;
      }
      this.report.created += 1;
      this.checksum += rowHash(this.spec.checksumText(r));
    });
    const { failAfter } = this.options;
    if (failAfter !== undefined && this.report.created >= failAfter) {
      throw new InjectedFailure(
        `injected failure after ${this.report.created} rows of ${this.spec.legacy} (LEGACY_IMPORT_FAIL_AFTER)`,
      );
    }
  }

  /** Rows of this run in the target (before its commit) and their checksum, by SQL. */
  async targetChecksum(run: string): Promise<{ rows: number; checksum: string }> {
    const { rows } = await this.target.query<{ rows: number; checksum: string }>(
      `SELECT count(*)::int AS rows, coalesce(sum(${sqlRowHash(this.spec.checksumSql)}), 0)::text AS checksum
         FROM ${this.spec.target}
        WHERE legacy_ref LIKE $1 AND result->>'importRun' = $2`,
      [`${this.spec.legacy}:%`, run],
    );
    return rows[0];
  }
}
