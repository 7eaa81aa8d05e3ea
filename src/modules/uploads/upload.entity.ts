import { Opt } from '@mikro-orm/core';
import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TrackedJob } from '../../common/tracking/tracked-job.entity';

export enum UploadMode {
  /** Any invalid row fails the upload and nothing is written. */
  STRICT = 'strict',
  /** Valid rows are written; every invalid row is reported. */
  PARTIAL = 'partial',
}

/** Rows of the file and what became of them. */
export interface UploadCounts {
  /** Data rows in the file; null until the whole file has been read. */
  total: number | null;
  /** Rows read and settled (written, found unchanged, or rejected). */
  processed: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
}

export const EMPTY_COUNTS: UploadCounts = {
  total: null,
  processed: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  invalid: 0,
};

/** One CSV bulk upload: the stored file, how to read it, and the counts of what it did. */
@Entity({ tableName: 'uploads' })
export class Upload extends TrackedJob {
  @Property({ type: 'text' })
  dataset!: string;

  @Enum({ items: () => UploadMode })
  mode!: UploadMode;

  /** The client's file name, as display text only (never used as a path). */
  @Property({ type: 'text' })
  originalFilename!: string;

  /** Server-generated path of the stored file; never sent to clients. */
  @Property({ type: 'text', hidden: true })
  storedPath!: string;

  @Property({ type: 'bigint' })
  sizeBytes!: number;

  @Property({ type: 'text' })
  sha256!: string;

  @Property({ type: 'text', default: ',' })
  delimiter: string & Opt = ',';

  /** CSV header → dataset column. */
  @Property({ type: 'jsonb', nullable: true })
  columnMapping: (Record<string, string> & Opt) | null = null;

  @Property({ type: 'jsonb' })
  counts: UploadCounts & Opt = { ...EMPTY_COUNTS };

  /**
   * Data rows (by row number) whose outcome is committed: a retry resumes after it. Written in
   * the same transaction as the rows and errors of each batch (partial mode).
   */
  @Property({ type: 'integer', default: 0 })
  checkpointRow: number & Opt = 0;

  /** Row errors kept in upload_row_errors (the first ones; `counts.invalid` counts them all). */
  @Property({ type: 'integer', default: 0 })
  storedErrors: number & Opt = 0;
}
