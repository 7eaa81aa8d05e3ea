import { ApiProperty } from '@nestjs/swagger';
import { PageBody } from '../../common/http/api-schema';
import { jobView, JobView } from '../../common/tracking/job-view';
import { JobStatus } from '../../common/tracking/job-status';
import { Upload, UploadCounts, UploadMode } from './upload.entity';

/** Rows of the file and what became of them. */
export class UploadCountsView implements UploadCounts {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 0,
    description: 'Data rows in the file; null until the whole file has been read',
  })
  total: number | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Rows read and settled (written, found unchanged, or rejected)',
  })
  processed: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  inserted: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  updated: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  unchanged: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Invalid rows, every one counted' })
  invalid: number;
}

/** An upload as clients see it: the tracking fields, the upload's own, and what it did in words. */
export class UploadView extends JobView {
  @ApiProperty({ example: 'transactions' })
  dataset: string;

  @ApiProperty({ enum: UploadMode, enumName: 'UploadMode' })
  mode: UploadMode;

  @ApiProperty({ description: "The client's file name (display text only)" })
  originalFilename: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  sizeBytes: number;

  @ApiProperty({ description: 'SHA-256 of the file, hex' })
  sha256: string;

  @ApiProperty({ description: 'Field delimiter (a TAB for "tab")', example: ',' })
  delimiter: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description: 'CSV header → dataset column',
  })
  columnMapping: Record<string, string> | null;

  @ApiProperty({ type: UploadCountsView })
  counts: UploadCountsView;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Row errors kept (the first ones); counts.invalid counts them all',
  })
  storedErrors: number;

  @ApiProperty({
    description: 'What stayed in the dataset, in words',
    example: '10 rows read: 10 inserted, 0 updated, 0 unchanged',
  })
  written: string;
}

/** `GET /uploads`. */
export class UploadPage extends PageBody {
  @ApiProperty({ type: [UploadView] })
  items: UploadView[];
}

/** One rejected cell (or unreadable row) of an upload. */
export class RowErrorView {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Data row (1 = the first after the header)',
  })
  row: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Line of the file where the row starts',
  })
  line: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Dataset column; null when the row as a whole could not be read',
  })
  column: string | null;

  @ApiProperty()
  message: string;

  @ApiProperty({ type: String, nullable: true, description: 'The value as uploaded, cut short' })
  value: string | null;
}

/** `GET /uploads/{id}/errors`: row errors in file order. */
export class RowErrorPage extends PageBody {
  @ApiProperty({ type: [RowErrorView] })
  items: RowErrorView[];

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Errors kept (the first 10,000); invalidRows counts every invalid row',
  })
  override total: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  invalidRows: number;
}

/** An upload as clients see it: the tracking fields, the upload's own, and what it did in words. */
export function uploadView(upload: Upload): UploadView {
  return {
    ...jobView('upload', upload),
    dataset: upload.dataset,
    mode: upload.mode,
    originalFilename: upload.originalFilename,
    sizeBytes: Number(upload.sizeBytes),
    sha256: upload.sha256,
    delimiter: upload.delimiter,
    columnMapping: upload.columnMapping,
    counts: { ...upload.counts },
    storedErrors: upload.storedErrors,
    written: writtenSummary(upload),
  };
}

/** Says what stayed in the dataset, so a cancelled or failed partial upload is not a guess. */
function writtenSummary(upload: Upload): string {
  const { inserted, updated, unchanged, processed } = upload.counts;
  const kept = `${inserted} inserted, ${updated} updated, ${unchanged} unchanged`;
  switch (upload.status) {
    case JobStatus.COMPLETED:
      return `${processed} rows read: ${kept}`;
    case JobStatus.CANCELLED:
    case JobStatus.FAILED:
      if (upload.mode === UploadMode.STRICT || processed === 0) {
        return 'nothing was written';
      }
      return `rows 1-${upload.checkpointRow} were written and kept (${kept}); the rest was not`;
    default:
      return upload.mode === UploadMode.STRICT
        ? 'nothing is written until every row has been validated'
        : `so far: ${kept}`;
  }
}
