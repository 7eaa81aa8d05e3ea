import { Doc, IntVar, TextVar } from '../../config/settings';

/** CSV uploads: storage, limits, batching. */
export class UploadSettings {
  @Doc('Where stored files (uploads) live; retention deletes them with their rows.')
  @TextVar(1)
  UPLOAD_DIR: string = './var/uploads';

  @Doc(
    'Largest uploaded file (bytes). A larger one is cut off while streaming, answered `413`, and nothing is kept.',
  )
  @IntVar(1)
  UPLOAD_MAX_BYTES: number = 1024 * 1024 * 1024;

  @Doc(
    'Longest CSV record in bytes (quoted line breaks included). A longer one fails the upload with `LINE_TOO_LONG`.',
  )
  @IntVar(256, 16 * 1024 * 1024)
  UPLOAD_MAX_LINE_BYTES: number = 64 * 1024;

  @Doc('Most data rows per upload; more fail it with `TOO_MANY_ROWS`.')
  @IntVar(1)
  UPLOAD_MAX_ROWS: number = 10_000_000;

  @Doc(
    'Rows per write batch of the JavaScript reader, which reads the chunks the fast path cannot take (one COPY, one upsert and, in `partial` mode, one checkpoint commit). A cancel takes effect at the next batch.',
  )
  @IntVar(1, 100_000)
  UPLOAD_BATCH_ROWS: number = 10_000;

  @Doc(
    "Rows per chunk on the fast path (PostgreSQL parses the chunk: one COPY and, in `partial` mode, one checkpoint commit; at most 16 MiB). The rows are never held as JavaScript values, so chunks can be larger than the JavaScript reader's batches. A cancel takes effect at the next chunk.",
  )
  @IntVar(1, 1_000_000)
  UPLOAD_COPY_CHUNK_ROWS: number = 50_000;

  @Doc('Uploads one worker process imports at once.')
  @IntVar(1, 32)
  UPLOAD_CONCURRENCY: number = 2;
}
