/**
 * Streams a multipart upload to disk: the file goes to a server-generated name in
 * UPLOAD_DIR while its size and SHA-256 are computed, in constant memory whatever its size.
 * The client's filename is kept as display text only.
 */
import busboy from 'busboy';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { v7 as uuidv7 } from 'uuid';
import { DomainError } from '../../common/http/domain-error';

export interface ReceivedFile {
  path: string;
  /** The client's name, cleaned for display (never a path). */
  originalFilename: string;
  size: number;
  sha256: string;
}

export interface ReceivedUpload {
  fields: Record<string, string>;
  file: ReceivedFile;
}

export interface ReceiveLimits {
  maxBytes: number;
  /** Largest non-file field (column mapping JSON included). */
  maxFieldBytes: number;
}

const FILE_FIELD = 'file';
const MAX_FIELDS = 20;
/** Display names are cut here (a 4 KB "name" is not a name). */
const MAX_FILENAME_CHARS = 255;
/** Headroom for multipart boundaries and the small fields, when checking Content-Length. */
const ENVELOPE_BYTES = 1024 * 1024;

/**
 * Receives the request body into `dir`. Rejects with a DomainError (415, 413, 400) and leaves
 * no file behind when anything is wrong.
 */
export async function receiveUpload(
  req: Request,
  dir: string,
  limits: ReceiveLimits,
): Promise<ReceivedUpload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      'uploads are sent as multipart/form-data with the CSV in the "file" field',
    );
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes + ENVELOPE_BYTES) {
    throw tooLarge(limits.maxBytes);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = uuidv7();
  const finalPath = resolve(join(dir, `${id}.csv`));
  const partPath = `${finalPath}.part`;

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // Browsers send the filename as raw UTF-8 (busboy's default reads it as Latin-1).
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        fileSize: limits.maxBytes,
        fields: MAX_FIELDS,
        fieldSize: limits.maxFieldBytes,
        parts: MAX_FIELDS + 1,
      },
    });
  } catch {
    throw new DomainError('INVALID_INPUT', 'the multipart body has no boundary');
  }

  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const problems: DomainError[] = [];
  let file: Promise<ReceivedFile> | undefined;
  /** A failure of ours (storage), answered 500 and logged, not blamed on the client. */
  let storageError: unknown;

  const done = new Promise<void>((resolveDone, rejectDone) => {
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        problems.push(invalid(name, `longer than ${limits.maxFieldBytes} bytes`));
      } else if (name in fields) {
        problems.push(invalid(name, 'given more than once'));
      } else {
        fields[name] = value;
      }
    });
    parser.on('file', (name, stream, info) => {
      if (name !== FILE_FIELD || file) {
        stream.resume();
        problems.push(
          invalid(
            name,
            file ? 'only one file per upload' : `the file goes in the "${FILE_FIELD}" field`,
          ),
        );
        return;
      }
      file = storeFile(stream, partPath, finalPath, info.filename, limits.maxBytes);
      file.catch((err: unknown) => {
        // Writing failed (disk full, ...) or the file was over the limit: busboy would wait
        // for the destroyed file stream forever, so stop reading the body now.
        // A system call failing (ENOSPC, EACCES, EMFILE) is ours; a malformed body is not.
        if (typeof (err as { syscall?: unknown }).syscall === 'string') storageError = err;
        req.unpipe(parser);
        parser.destroy(err as Error);
        rejectDone(err);
      });
    });
    parser.on('filesLimit', () => problems.push(invalid(FILE_FIELD, 'only one file per upload')));
    parser.on('fieldsLimit', () =>
      problems.push(invalid('fields', `at most ${MAX_FIELDS} fields`)),
    );
    parser.on('partsLimit', () => problems.push(invalid('fields', `at most ${MAX_FIELDS} fields`)));
    parser.on('close', () => resolveDone());
    parser.on('error', (err) => rejectDone(err));
    // A client gone mid-body: busboy would wait for the rest forever, and so would the file
    // stream. Destroying the parser ends the file stream with the error, so it settles and
    // its partial file is removed below.
    const aborted = () => {
      const err = new Error('client aborted the upload');
      parser.destroy(err);
      rejectDone(err);
    };
    req.on('aborted', aborted);
    req.on('close', () => {
      if (!req.complete) aborted();
    });
  });
  req.pipe(parser);

  try {
    await done;
  } catch (err) {
    req.unpipe(parser);
    await file?.catch(() => undefined);
    await cleanup(partPath, finalPath);
    if (err instanceof DomainError) throw err;
    if (storageError) throw storageError;
    throw new DomainError(
      'INVALID_INPUT',
      `the multipart body could not be read: ${(err as Error).message}`,
    );
  }
  let stored: ReceivedFile;
  try {
    if (!file) throw invalid(FILE_FIELD, 'is required (the CSV file)');
    stored = await file;
    if (problems.length) throw problems[0];
  } catch (err) {
    await cleanup(partPath, finalPath);
    throw err;
  }
  return { fields, file: stored };
}

async function storeFile(
  stream: NodeJS.ReadableStream & { truncated?: boolean },
  partPath: string,
  finalPath: string,
  filename: string | undefined,
  maxBytes: number,
): Promise<ReceivedFile> {
  const hash = createHash('sha256');
  let size = 0;
  let truncated = false;
  stream.on('limit', () => {
    truncated = true;
  });
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  // 'wx': never follow or overwrite anything that already exists at the generated name.
  await pipeline(stream, measure, createWriteStream(partPath, { flags: 'wx', mode: 0o600 }));
  if (truncated) throw tooLarge(maxBytes);
  await rename(partPath, finalPath);
  return {
    path: finalPath,
    originalFilename: displayName(filename),
    size,
    sha256: hash.digest('hex'),
  };
}

/**
 * The client's filename as harmless display text: the last path segment, no control
 * characters, at most 255 characters. It is never used to build a path.
 */
export function displayName(filename: string | undefined): string {
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  const chars = Array.from(clean);
  const cut =
    chars.length > MAX_FILENAME_CHARS
      ? `${chars.slice(0, MAX_FILENAME_CHARS - 1).join('')}…`
      : clean;
  return cut === '' || cut === '.' || cut === '..' ? 'upload.csv' : cut;
}

async function cleanup(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `the file is larger than the ${maxBytes} bytes this service accepts`,
    { maxBytes },
  );
}

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID_INPUT', `${field}: ${message}`, {
    errors: [{ field, message }],
  });
}
