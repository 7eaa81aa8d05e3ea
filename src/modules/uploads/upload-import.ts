/**
 * The import of one stored upload: read the CSV as a stream, validate every row, write valid
 * rows in batches while the next batch is being read, and keep the row errors. Two paths:
 * chunks the byte-level chunker vouches for are COPYed by PostgreSQL as they are (fast);
 * anything else is parsed and validated here, then COPYed into staging and upserted (slow;
 * always for a dataset with references, whose values are looked up per batch). Partial mode
 * commits each batch with its errors and the checkpoint, so a retry resumes after the last
 * committed row; strict mode writes in one transaction that commits only if no row is
 * invalid.
 */
import { createHash, type Hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createReadStream, type ReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { Pool, PoolClient } from 'pg';
import { JobContext } from '../../common/tracking/job-context';
import { AttemptSupersededError, NonRetryableError } from '../../common/tracking/job-errors';
import { CsvFormatError } from './csv/csv-format-error';
import { chunkCsv, type CsvChunk } from './csv/csv-chunker';
import {
  readCsvRows,
  type CsvContinuation,
  type CsvRow,
  type CsvRowReaderOptions,
} from './csv/csv-row-reader';
import {
  createRowValidator,
  DatasetDefinition,
  requiredColumnNames,
  truncateForReport,
} from './datasets/dataset';
import { BatchWriteResult, copyLine, DatasetWriter } from './datasets/dataset-writer';
import { EMPTY_COUNTS, Upload, UploadCounts, UploadMode } from './upload.entity';

export interface ImportLimits {
  /** Rows per batch of the JavaScript reader (held as values). */
  batchRows: number;
  /** Rows per fast-path chunk (bytes handed to COPY). */
  copyChunkRows: number;
  maxLineBytes: number;
  maxRows: number;
  /** Row errors kept per upload; all are counted. */
  maxStoredErrors: number;
}

export interface RowErrorRecord {
  row: number;
  line: number;
  column: string | null;
  message: string;
  value: string | null;
}

/** A valid row of a batch whose referencing cells are still to be looked up. */
interface ReferencingRow {
  key: string;
  row: number;
  line: number;
  /** The validated values (what is looked up) and the cells as uploaded (what is reported). */
  values: Record<string, string | null>;
  cells: Readonly<Record<string, string | undefined>>;
}

/** Rows settled by one batch, before and after the database has had its say. */
class Batch {
  readonly keyed = new Map<string, string>(); // natural key → COPY line (keys are distinct)
  /** The batch's errors kept so far (within the upload's cap), in file order. */
  readonly errors: RowErrorRecord[] = [];
  /** Datasets with references: the keyed rows, to look their values up before the write. */
  readonly referencing: ReferencingRow[] = [];
  rows = 0;
  invalid = 0;
  lastRow = 0;
}

/** How long a direct COPY may wait on another transaction's row lock before it gives way. */
const DIRECT_LOCK_WAIT_MS = 200;

// Progress: validating 0-5 %, parsing and writing 5-95 % (by bytes read), finishing 95-100 %.
const READ_FROM = 5;
const READ_SPAN = 90;

/** Rows newly written by a commit, by outcome (feeds the rows_imported metric). */
export type CommittedRows = Pick<UploadCounts, 'inserted' | 'updated' | 'unchanged' | 'invalid'>;

export class UploadImport {
  private readonly writer: DatasetWriter;
  private readonly validate: ReturnType<typeof createRowValidator>;
  private counts: UploadCounts;
  private storedErrors: number;
  private errorsKept: number;
  private lastRowRead = 0;
  /** Where the time went: writing batches, and reading stalled while a write finished. */
  readonly timings = { writeMs: 0, waitMs: 0 };
  /** Last row whose outcome is committed. */
  private checkpointRow: number;
  private readonly resumeAfter: number;
  /** Strict mode keeps its errors in memory (bounded) and writes them when the upload fails. */
  private readonly strictErrors: RowErrorRecord[] = [];
  /** Strict mode: the transaction is open and every row so far was valid. */
  private strictWriting = true;
  private firstCommit = true;
  private client!: PoolClient;
  private file: ReadStream | undefined;
  private bytesRead = 0;
  private hash!: Hash;
  /** The write in flight (one batch or chunk is written while the next is read). */
  private inFlight: Promise<unknown> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  /** A fast chunk PostgreSQL refused: the slow path reads it before anything after it. */
  private refused: CsvChunk | undefined;
  /** Fast chunks to upsert before a plain insert is tried again (keys were there). */
  private upsertOnly = 0;
  private insertMisses = 0;
  /** Rows by path (logged): COPYed as they are, or parsed here. */
  readonly paths = { fastRows: 0, slowRows: 0, slowChunks: 0, refusedChunks: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly dataset: DatasetDefinition,
    private readonly upload: Upload,
    private readonly ctx: JobContext<Upload>,
    private readonly limits: ImportLimits,
    private readonly onCommitted: (rows: CommittedRows) => void = () => undefined,
  ) {
    this.writer = new DatasetWriter(dataset, upload.tenantId);
    this.validate = createRowValidator(dataset);
    const resume = upload.mode === UploadMode.PARTIAL && upload.checkpointRow > 0;
    this.resumeAfter = resume ? upload.checkpointRow : 0;
    this.counts = resume ? { ...upload.counts } : { ...EMPTY_COUNTS };
    this.storedErrors = resume ? upload.storedErrors : 0;
    this.errorsKept = this.storedErrors;
    this.checkpointRow = this.resumeAfter;
  }

  private get strict(): boolean {
    return this.upload.mode === UploadMode.STRICT;
  }

  /** Runs the import and returns the final counts; bad files throw NonRetryableError. */
  async run(): Promise<UploadCounts> {
    const { ctx, upload } = this;
    await ctx.progress(0, 'validating', this.progressCounts());
    const size = await stat(upload.storedPath).then(
      (s) => s.size,
      () => {
        throw new NonRetryableError('the stored file of this upload is missing');
      },
    );
    // Cheap guard before anything is written (the SHA-256 is checked when the file is read).
    if (size !== Number(upload.sizeBytes)) {
      throw new NonRetryableError('the stored file no longer has the size taken at upload');
    }
    if (this.resumeAfter) {
      ctx.logger.info({ checkpointRow: this.resumeAfter }, 'resuming after the checkpoint');
    }
    this.client = await this.pool.connect();
    // The server may drop the connection while we hold it (restart, failover): the query in
    // flight, or the next one, fails and so does the attempt; the event itself only needs
    // noting (unlistened, it would take the process down), and the connection is released
    // with the error so the pool discards it.
    let lost: Error | undefined;
    const onLost = (err: Error) => {
      lost ??= err;
      ctx.logger.warn({ err: { message: err.message } }, 'database connection lost mid-import');
    };
    this.client.on('error', onLost);
    let failure: Error | undefined;
    try {
      await this.writer.prepare(this.client);
      if (this.strict) await this.client.query('BEGIN');
      await this.readAndWrite();
      if (this.strict) await this.finishStrict();
      // The last save: `total` is known only now.
      else await this.saveProgress(this.counts, this.storedErrors, this.checkpointRow);
      await ctx.progress(READ_FROM + READ_SPAN, 'finishing', this.progressCounts());
      return this.counts;
    } catch (err) {
      // A connection abandoned mid-COPY or mid-statement must not go back to the pool.
      const clean = err instanceof NonRetryableError || err instanceof AttemptSupersededError;
      if (!clean) failure = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      if (this.strict && !lost) await this.client.query('ROLLBACK').catch(() => undefined);
      const discard = lost ?? failure;
      // Still listening on a discarded client: a dropped connection can report twice.
      if (!discard) this.client.off('error', onLost);
      this.client.release(discard);
    }
  }

  /** Counts for progress events (`total` only once it is known). */
  progressCounts(): Record<string, number> {
    const { total, ...rest } = this.counts;
    return total === null ? rest : { total, ...rest };
  }

  private async readAndWrite(): Promise<void> {
    try {
      // The fast path when the table allows it (see DatasetWriter.copyChunk); a file it cannot
      // vouch for from its first bytes is read by the slow path from the start, and so is a
      // dataset with references (their values are looked up per batch: checkReferences).
      const chunked =
        this.upload.delimiter !== '\\' &&
        !this.dataset.references?.length &&
        (await this.readChunks());
      if (!chunked) await this.readWhole();
      await this.settle();
    } catch (err) {
      await this.inFlight;
      this.file?.destroy();
      if (err instanceof CsvFormatError) {
        throw new NonRetryableError(err.message, {
          code: err.code,
          ...(err.row !== undefined ? { row: err.row } : {}),
          ...(err.line !== undefined ? { line: err.line } : {}),
          ...(err.column !== undefined ? { column: err.column } : {}),
          written: this.strict ? 'nothing (strict mode)' : `rows up to ${this.counts.processed}`,
        });
      }
      throw err;
    }
    if (this.hash.digest('hex') !== this.upload.sha256) {
      throw new NonRetryableError('the stored file no longer matches the SHA-256 taken at upload');
    }
    this.counts.total = this.counts.processed;
  }

  private open(highWaterMark: number): ReadStream {
    this.hash = createHash('sha256');
    this.file = createReadStream(this.upload.storedPath, { highWaterMark });
    this.bytesRead = 0;
    return this.file;
  }

  private readerOptions(continueAt?: CsvContinuation): CsvRowReaderOptions {
    const { upload, limits } = this;
    return {
      delimiter: upload.delimiter,
      columnMapping: upload.columnMapping ?? undefined,
      requiredColumns: requiredColumnNames(this.dataset),
      maxLineBytes: limits.maxLineBytes,
      maxRows: limits.maxRows,
      continueAt,
    };
  }

  /** The slow path over the whole file: every row parsed and validated here. */
  private async readWhole(): Promise<void> {
    // Small reads: the event loop turns between them, so the batch being written (COPY,
    // upsert, commit: one round trip each) is not held up behind a long parsing stretch.
    const file = this.open(16 * 1024);
    // Hashed and counted in the stream (not with a 'data' listener, which would bypass
    // backpressure).
    const hashed = file.pipe(
      new Transform({
        transform: (chunk: Buffer, _encoding, callback) => {
          this.hash.update(chunk);
          this.bytesRead += chunk.length;
          callback(null, chunk);
        },
      }),
    );
    file.on('error', (err) => hashed.destroy(err));
    await this.consume(readCsvRows(hashed, this.readerOptions()));
  }

  /**
   * The fast path: the file in chunks of whole records (csv-chunker). A chunk whose every
   * row is certainly valid is COPYed by PostgreSQL as it is, while the next is read; any
   * other chunk, or one PostgreSQL refused (a key already there, a byte it would not take),
   * is read by the slow path from its own bytes, in file order. Returns false when the
   * chunker left the whole file to the slow path (before anything was written).
   */
  private async readChunks(): Promise<boolean> {
    this.hash = createHash('sha256');
    this.bytesRead = 0;
    const handle = await open(this.upload.storedPath, 'r');
    try {
      return await this.readChunksOf(handle);
    } finally {
      await handle.close();
    }
  }

  private async readChunksOf(handle: FileHandle): Promise<boolean> {
    const source = {
      read: async (target: Buffer, offset: number, length: number) =>
        (await handle.read(target, offset, length, null)).bytesRead,
    };
    const pieces = chunkCsv(source, this.dataset.columns, {
      ...this.readerOptions(),
      batchRows: this.limits.copyChunkRows,
      resumeAfter: this.resumeAfter,
      onBlock: (block) => {
        this.hash.update(block);
        this.bytesRead += block.length;
      },
    });
    for await (const piece of pieces) {
      if (piece.kind === 'whole-file') return false;
      await this.settle();
      if (piece.kind === 'fast') {
        this.ctx.signal.throwIfAborted(); // cancel, time limit, shutdown: at the chunk boundary
        this.inFlight = this.writeFast(piece).then(
          (written) => {
            if (!written) this.refused = piece;
          },
          (error: unknown) => {
            this.failure = { error };
          },
        );
        continue;
      }
      const continueAt = { header: piece.header, line: piece.line, rowsBefore: piece.rowsBefore };
      const input = piece.kind === 'tail' ? piece.input : sliced(piece.bytes);
      if (piece.kind !== 'tail') this.paths.slowChunks++;
      await this.consume(readCsvRows(input, this.readerOptions(continueAt)));
    }
    return true;
  }

  /** Waits for the write in flight; a fast chunk it refused is then read by the slow path. */
  private async settle(): Promise<void> {
    const waitStart = performance.now();
    await this.inFlight;
    this.timings.waitMs += performance.now() - waitStart;
    if (this.failure) throw this.failure.error;
    const refused = this.refused;
    if (!refused) return;
    this.refused = undefined;
    this.paths.refusedChunks++;
    const continueAt = {
      header: refused.header,
      line: refused.line,
      rowsBefore: refused.rowsBefore,
    };
    await this.consume(readCsvRows(sliced(refused.bytes), this.readerOptions(continueAt)));
    await this.settle();
  }

  /** Writes one batch of the slow path, while the caller reads on. */
  private async flush(full: Batch): Promise<void> {
    const waitStart = performance.now();
    await this.inFlight;
    this.timings.waitMs += performance.now() - waitStart;
    if (this.failure) throw this.failure.error;
    this.ctx.signal.throwIfAborted(); // cancel, time limit, shutdown: stop at the batch boundary
    if (full.rows === 0) return;
    // Now, before the next batch is read: what the look-up finds takes its place among the
    // errors kept (keepError) ahead of the next batch's.
    await this.checkReferences(full);
    if (this.strict) this.strictErrors.push(...full.errors);
    this.paths.slowRows += full.rows;
    this.inFlight = this.writeBatch(full).catch((error: unknown) => {
      this.failure = { error };
    });
  }

  /** The slow path: rows parsed, validated and batched here (one batch written while the next is read). */
  private async consume(rows: AsyncIterable<CsvRow>): Promise<void> {
    let batch = new Batch();
    for await (const item of rows) {
      if (item.row <= this.resumeAfter) continue;
      const checked = item.ok ? this.validate(item.values) : undefined;
      let key: string | undefined;
      if (checked?.ok) {
        key = this.keyOf(checked.values as Record<string, string | null>);
        // A key seen earlier in this batch: write the batch first, so the database
        // compares this row with the earlier one (counts as if row by row).
        if (batch.keyed.has(key)) {
          await this.flush(batch);
          batch = new Batch();
        }
      }
      batch.rows++;
      batch.lastRow = item.row;
      this.lastRowRead = item.row;
      if (!item.ok) {
        batch.invalid++;
        const { column, message } = item.error;
        this.keepError(batch, {
          row: item.row,
          line: item.line,
          column: column ?? null,
          message,
          value: null,
        });
      } else if (checked?.ok) {
        const values = checked.values as Record<string, string | null>;
        batch.keyed.set(key!, copyLine(values, this.writer.columns));
        if (this.dataset.references?.length) {
          batch.referencing.push({
            key: key!,
            row: item.row,
            line: item.line,
            values,
            cells: item.values,
          });
        }
      } else if (checked) {
        batch.invalid++;
        for (const e of checked.errors) {
          this.keepError(batch, { row: item.row, line: item.line, ...e });
        }
      }
      if (batch.rows >= this.limits.batchRows) {
        await this.flush(batch);
        batch = new Batch();
      }
    }
    await this.flush(batch);
  }

  /** A fast chunk: COPYed as it is; false when PostgreSQL refused it (nothing written). */
  private async writeFast(chunk: CsvChunk): Promise<boolean> {
    const started = performance.now();
    const written = this.strict ? await this.fastStrict(chunk) : await this.fastPartial(chunk);
    this.timings.writeMs += performance.now() - started;
    if (!written) return false;
    this.paths.fastRows += chunk.rows;
    this.lastRowRead = Math.max(this.lastRowRead, chunk.lastRow);
    await this.reportProgress();
    return true;
  }

  /**
   * Stages and writes a fast chunk inside the open transaction (a plain insert while keys
   * are new, else the upsert); undefined when PostgreSQL refused it, with nothing kept.
   */
  private async stageChunk(chunk: CsvChunk): Promise<BatchWriteResult | undefined> {
    const { client, writer } = this;
    const columns = chunk.header.names as string[];
    let tryInsert = this.upsertOnly === 0;
    if (this.upsertOnly > 0) this.upsertOnly--;
    await client.query('SAVEPOINT fast_chunk');
    try {
      if (tryInsert && writer.directCopy && columns.length === writer.columns.length) {
        const direct = await this.copyDirect(chunk, columns);
        if (direct === 'written') {
          this.insertMisses = 0;
          await client.query('RELEASE SAVEPOINT fast_chunk');
          return { inserted: chunk.rows, updated: 0 };
        }
        if (direct === 'refused') throw Object.assign(new Error('refused'), { code: '22000' });
        // 'keys there': upsert; 'busy': the staged insert, which waits its turn.
        tryInsert = direct === 'busy';
      }
      await writer.copyChunk(client, chunk, columns, this.upload.delimiter);
      let written: BatchWriteResult | undefined;
      if (tryInsert) {
        await client.query('SAVEPOINT fast_insert');
        try {
          written = await writer.writeStaged(client, true);
          await client.query('RELEASE SAVEPOINT fast_insert');
          this.insertMisses = 0;
        } catch (err) {
          if ((err as { code?: unknown }).code !== '23505') throw err;
          await client.query('ROLLBACK TO SAVEPOINT fast_insert');
          this.keysThere();
        }
      }
      written ??= await writer.writeStaged(client, false);
      await writer.clearRaw(client);
      await client.query('RELEASE SAVEPOINT fast_chunk');
      return written;
    } catch (err) {
      // Data PostgreSQL would not take as the chunker read it (a byte that is not UTF-8),
      // a key twice in the chunk: the slow path reads the chunk and says which row.
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !/^2[123]/.test(code)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT fast_chunk');
      await client.query('RELEASE SAVEPOINT fast_chunk');
      return undefined;
    }
  }

  /** A key of the chunk is there already (a re-upload): upsert the next few chunks. */
  private keysThere(): void {
    this.insertMisses = Math.min(this.insertMisses + 1, 6);
    this.upsertOnly = 2 ** this.insertMisses - 1;
  }

  /**
   * New keys straight into the table (DatasetWriter.copyDirect), as long as that does not
   * have to wait on another transaction's row lock: a chunk that would wait (another upload
   * writing the same keys) takes the staged insert, which waits its turn in plain sight.
   */
  private async copyDirect(
    chunk: CsvChunk,
    columns: string[],
  ): Promise<'written' | 'keys there' | 'busy' | 'refused'> {
    const { client } = this;
    await client.query('SAVEPOINT fast_direct');
    try {
      await client.query(`SET LOCAL lock_timeout = ${DIRECT_LOCK_WAIT_MS}`);
      const rows = await this.writer.copyDirect(client, chunk, columns, this.upload.delimiter);
      // Rows not read as the chunker read them would be a bug: never keep such a write.
      if (rows !== chunk.rows) throw Object.assign(new Error('row count'), { code: '22000' });
      await client.query('SET LOCAL lock_timeout TO DEFAULT');
      await client.query('RELEASE SAVEPOINT fast_direct');
      return 'written';
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !/^(2[123]|55P03)/.test(code)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT fast_direct'); // lock_timeout too
      await client.query('RELEASE SAVEPOINT fast_direct');
      if (code === '23505') {
        this.keysThere();
        return 'keys there';
      }
      return code === '55P03' ? 'busy' : 'refused';
    }
  }

  private async fastPartial(chunk: CsvChunk): Promise<boolean> {
    const { client } = this;
    await client.query('BEGIN');
    try {
      const written = await this.stageChunk(chunk);
      if (written === undefined) {
        await client.query('ROLLBACK');
        return false;
      }
      if (this.firstCommit) {
        await client.query('DELETE FROM upload_row_errors WHERE upload_id = $1 AND "row" > $2', [
          this.upload.id,
          this.resumeAfter,
        ]);
      }
      const next = addRows(this.counts, chunk.rows, written);
      await this.saveProgress(next, this.storedErrors, chunk.lastRow);
      await client.query('COMMIT');
      this.onCommitted(committed(this.counts, next));
      this.counts = next;
      this.checkpointRow = chunk.lastRow;
      this.firstCommit = false;
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Strict mode: written inside the one transaction, or only counted after an invalid row. */
  private async fastStrict(chunk: CsvChunk): Promise<boolean> {
    if (!this.strictWriting) {
      this.counts = { ...this.counts, processed: this.counts.processed + chunk.rows };
      return true;
    }
    const written = await this.stageChunk(chunk);
    if (written === undefined) return false;
    this.counts = addRows(this.counts, chunk.rows, written);
    return true;
  }

  private async reportProgress(): Promise<void> {
    const read = Math.min(1, this.bytesRead / Math.max(1, Number(this.upload.sizeBytes)));
    // Committed; ctx.progress throws only once the attempt is over (a Redis blip while
    // reporting is logged by the base, never thrown).
    await this.ctx.progress(READ_FROM + READ_SPAN * read, 'writing', this.progressCounts());
  }

  private keyOf(values: Record<string, string | null>): string {
    return this.writer.keyColumns.map((k) => values[k]).join('\u0000');
  }

  /** Every error is counted (by its row); the first `maxStoredErrors` are kept. */
  private keepError(batch: Batch, error: RowErrorRecord): void {
    // Counted when read, not when committed: the batch in flight has its share already.
    if (this.errorsKept >= this.limits.maxStoredErrors) return;
    this.errorsKept++;
    batch.errors.push(error);
  }

  /**
   * A dataset with references (DatasetDefinition.references): the batch's distinct values
   * are looked up in one query, and each row with a value not there becomes invalid, with
   * one error per such cell, instead of breaking the foreign key of the batch's write.
   * Runs before the batch is written, with nothing else on the connection (in strict mode
   * inside its transaction). A value deleted after the check and before the write (an ETF
   * deleted meanwhile) still breaks the foreign key: that attempt fails, and its retry,
   * resuming after the checkpoint, finds the value missing and reports the row.
   */
  private async checkReferences(batch: Batch): Promise<void> {
    const references = this.dataset.references;
    if (!references?.length || batch.referencing.length === 0) return;
    const distinct = references.map(({ column }) => [
      ...new Set(
        batch.referencing.map((r) => r.values[column]).filter((v): v is string => v !== null),
      ),
    ]);
    const started = performance.now();
    const unknown = await this.writer.unknownReferences(this.client, distinct);
    this.timings.writeMs += performance.now() - started;
    if (unknown.every((values) => values.size === 0)) return;
    const found: RowErrorRecord[] = [];
    for (const r of batch.referencing) {
      const before = found.length;
      references.forEach(({ column, message }, i) => {
        const value = r.values[column];
        if (value === null || !unknown[i].has(value)) return;
        const cell = truncateForReport(r.cells[column] ?? value);
        found.push({ row: r.row, line: r.line, column, message, value: cell });
      });
      if (found.length === before) continue;
      batch.keyed.delete(r.key);
      batch.invalid++;
    }
    // The errors kept stay the upload's first ones in file order: this batch's share of the
    // cap goes to its earliest errors, read or looked up (a read error dropped by the cap
    // comes after every read error kept, so after every error kept here too).
    const keptBefore = this.errorsKept - batch.errors.length;
    const room = Math.max(0, this.limits.maxStoredErrors - keptBefore);
    const merged = [...batch.errors, ...found].sort((a, b) => a.row - b.row).slice(0, room);
    batch.errors.splice(0, batch.errors.length, ...merged);
    this.errorsKept = keptBefore + merged.length;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const started = performance.now();
    if (this.strict) await this.writeStrict(batch);
    else await this.writePartial(batch);
    this.timings.writeMs += performance.now() - started;
    await this.reportProgress();
  }

  /** Partial mode: the batch, its errors and the checkpoint commit together, or not at all. */
  private async writePartial(batch: Batch): Promise<void> {
    const { client } = this;
    await client.query('BEGIN');
    try {
      if (this.firstCommit) {
        // Errors past the checkpoint were left by an attempt that never committed its rows.
        await client.query('DELETE FROM upload_row_errors WHERE upload_id = $1 AND "row" > $2', [
          this.upload.id,
          this.resumeAfter,
        ]);
      }
      const written = await this.stage(batch);
      await this.insertErrors(batch.errors);
      const next = addBatch(this.counts, batch, written);
      await this.saveProgress(next, this.storedErrors + batch.errors.length, batch.lastRow);
      await client.query('COMMIT');
      this.onCommitted(committed(this.counts, next));
      this.counts = next;
      this.storedErrors += batch.errors.length;
      this.checkpointRow = batch.lastRow;
      this.firstCommit = false;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Strict mode: write inside the one transaction until the first invalid row, then only count. */
  private async writeStrict(batch: Batch): Promise<void> {
    if (batch.invalid > 0 && this.strictWriting) {
      this.strictWriting = false;
      await this.client.query('ROLLBACK'); // nothing of a strict upload with an invalid row is kept
    }
    const written = this.strictWriting ? await this.stage(batch) : { inserted: 0, updated: 0 };
    this.counts = addBatch(this.counts, batch, written, !this.strictWriting);
  }

  /** The end of a strict upload: commit everything, or fail it and keep its errors. */
  private async finishStrict(): Promise<void> {
    const { client, counts } = this;
    if (this.strictWriting) {
      await client.query('DELETE FROM upload_row_errors WHERE upload_id = $1', [this.upload.id]);
      await this.saveProgress(counts, 0, counts.processed);
      await client.query('COMMIT');
      this.onCommitted({
        inserted: counts.inserted,
        updated: counts.updated,
        unchanged: counts.unchanged,
        invalid: 0,
      });
      return;
    }
    const failed = { ...counts, inserted: 0, updated: 0, unchanged: 0 };
    await client.query('BEGIN');
    await client.query('DELETE FROM upload_row_errors WHERE upload_id = $1', [this.upload.id]);
    await this.insertErrors(this.strictErrors);
    await this.saveProgress(failed, this.strictErrors.length, 0);
    await client.query('COMMIT');
    this.counts = failed;
    this.onCommitted({ inserted: 0, updated: 0, unchanged: 0, invalid: failed.invalid });
    throw new NonRetryableError(
      `${failed.invalid} of ${failed.processed} rows are invalid; nothing was written (strict mode)`,
      { counts: failed },
    );
  }

  private async stage(batch: Batch): Promise<{ inserted: number; updated: number }> {
    if (batch.keyed.size === 0) return { inserted: 0, updated: 0 };
    return this.writer.write(this.client, [...batch.keyed.values()].join(''));
  }

  private async insertErrors(errors: RowErrorRecord[]): Promise<void> {
    if (!errors.length) return;
    await this.client.query(
      `INSERT INTO upload_row_errors (upload_id, "row", line, "column", message, value)
       SELECT $1, * FROM unnest($2::int[], $3::int[], $4::text[], $5::text[], $6::text[])`,
      [
        this.upload.id,
        errors.map((e) => e.row),
        errors.map((e) => e.line),
        errors.map((e) => e.column),
        errors.map((e) => e.message),
        errors.map((e) => e.value),
      ],
    );
  }

  /**
   * The counts and checkpoint, in the batch's transaction and under the attempt's fence:
   * throws AttemptSupersededError (rolling the batch back) once the upload is not ours.
   */
  private saveProgress(counts: UploadCounts, storedErrors: number, checkpointRow: number) {
    return this.ctx.save({ counts, storedErrors, checkpointRow }, { em: this.client });
  }
}

/** What one commit added, by outcome. */
function committed(before: UploadCounts, after: UploadCounts): CommittedRows {
  return {
    inserted: after.inserted - before.inserted,
    updated: after.updated - before.updated,
    unchanged: after.unchanged - before.unchanged,
    invalid: after.invalid - before.invalid,
  };
}

/** The counts after a fast chunk of `rows` rows, all valid. */
function addRows(counts: UploadCounts, rows: number, written: BatchWriteResult): UploadCounts {
  return {
    ...counts,
    processed: counts.processed + rows,
    inserted: counts.inserted + written.inserted,
    updated: counts.updated + written.updated,
    unchanged: counts.unchanged + rows - written.inserted - written.updated,
  };
}

/** The counts after one batch; `discarded` (strict, after an invalid row) counts no writes. */
function addBatch(
  counts: UploadCounts,
  batch: Batch,
  written: { inserted: number; updated: number },
  discarded = false,
): UploadCounts {
  const unchanged = batch.keyed.size - written.inserted - written.updated;
  return {
    ...counts,
    processed: counts.processed + batch.rows,
    invalid: counts.invalid + batch.invalid,
    inserted: counts.inserted + written.inserted,
    updated: counts.updated + written.updated,
    unchanged: counts.unchanged + (discarded ? 0 : unchanged),
  };
}

/**
 * A chunk's bytes for the JavaScript reader in 64 KiB slices: handed over whole, a
 * 50,000-row chunk would be parsed in one synchronous step (every record in memory at once,
 * the event loop the API shares held for a few hundred milliseconds).
 */
function sliced(bytes: Buffer): Readable {
  const SLICE = 64 * 1024;
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += SLICE) yield bytes.subarray(at, at + SLICE);
    })(),
  );
}
