import { JobTypeDefinition } from '../../common/tracking/job-type';
import { Upload } from './upload.entity';

export const UPLOAD_QUEUE = 'uploads';

/** Row errors kept per upload (all of them are counted). */
export const MAX_STORED_ROW_ERRORS = 10_000;

/** Largest multipart field other than the file (the column mapping JSON). */
export const MAX_UPLOAD_FIELD_BYTES = 64 * 1024;

/** Concurrency comes from UPLOAD_CONCURRENCY (see UploadsModule). */
export const UPLOAD_JOB_TYPE: JobTypeDefinition<Upload> = {
  type: 'upload',
  queue: UPLOAD_QUEUE,
  entity: Upload,
  eventAlias: 'upload',
  summaryFields: ['originalFilename', 'dataset'],
  maxAttempts: 3,
  softTimeLimitMs: 10 * 60_000,
  hardTimeLimitMs: 60 * 60_000,
};

/** Injection token of the pg pool used for COPY and set-based writes. */
export const BULK_POOL = Symbol('BULK_POOL');
