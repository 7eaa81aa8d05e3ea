import request from 'supertest';
import { TestApp } from './test-app';
import { waitFor } from './wait-for';

export const TX_HEADER = 'external_id,account,booked_at,amount,currency,description,category';

/** A realistic transactions row; `i` makes it unique, `amountCents` varies the amount. */
export function txRow(i: number, amountCents = i * 137 - 50_000): string {
  const day = String((i % 28) + 1).padStart(2, '0');
  const amount = (amountCents / 100).toFixed(2);
  return `TX-${i},DE89370400440532013000,2025-03-${day},${amount},EUR,"Card payment, shop ${i}",groceries`;
}

/** A transactions CSV of `rows` rows (1..rows), LF line ends. */
export function transactionsCsv(rows: number, from = 1): string {
  const lines = [TX_HEADER];
  for (let i = from; i < from + rows; i++) lines.push(txRow(i));
  return lines.join('\n') + '\n';
}

export interface UploadFields {
  dataset?: string;
  mode?: string;
  columnMapping?: string;
  priority?: string;
  delimiter?: string;
  filename?: string;
}

/** POST /api/v1/uploads with a CSV body; returns the raw response. */
export function postUpload(
  app: TestApp,
  token: string,
  csv: string | Buffer,
  fields: UploadFields = {},
): request.Test {
  const { filename = 'tx.csv', ...rest } = fields;
  const req = app.http.post('/api/v1/uploads').set('Authorization', `Bearer ${token}`);
  const all = { dataset: 'transactions', mode: 'partial', ...rest };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) req.field(k, v);
  return req.attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv), {
    filename,
    contentType: 'text/csv',
  });
}

/** Uploads and expects 202; returns the upload's id. */
export async function upload(
  app: TestApp,
  token: string,
  csv: string | Buffer,
  fields: UploadFields = {},
): Promise<string> {
  const res = await postUpload(app, token, csv, fields);
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${res.text}`);
  return res.body.id as string;
}

/** Polls GET /api/v1/uploads/{id} until the upload ends; returns its view. */
export async function settled(
  app: TestApp,
  token: string,
  id: string,
  timeoutMs = 30_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- specs read views loosely
): Promise<Record<string, any>> {
  return waitFor(
    async () => {
      const res = await app.http
        .get(`/api/v1/uploads/${id}`)
        .set('Authorization', `Bearer ${token}`);
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(res.body.status) ? res.body : undefined;
    },
    { timeoutMs, what: `upload ${id} to end` },
  );
}

/** One CSV cell, quoted when it has to be (RFC 4180: comma, quote, CR, LF, or edge spaces). */
export function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** An RFC 9457 problem as the API sends it. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  /** The fields at fault (400). */
  errors?: { field: string; message: string }[];
  /** Extensions: csvError, line, maxBytes… */
  [extension: string]: unknown;
}

/** Asserts an RFC 9457 answer (status, media type, a detail in words, no stack); returns its body. */
export function expectProblem(res: request.Response, status: number): Problem {
  if (res.status !== status) {
    throw new Error(`expected ${status}, got ${res.status}: ${res.text}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Problem;
  expect(body).toMatchObject({ status, detail: expect.any(String) });
  expect(body.detail.length).toBeGreaterThan(10);
  expect(res.text).not.toMatch(/\bat .+\.[jt]s:\d+/); // no stack trace
  return body;
}

/** One row error as GET /api/v1/uploads/{id}/errors lists it. */
export interface RowErrorView {
  row: number;
  line: number;
  column: string | null;
  message: string;
  value: string | null;
}

/** GET /api/v1/uploads/{id}/errors (up to 1000); returns the page. */
export async function rowErrors(
  app: TestApp,
  token: string,
  id: string,
): Promise<{ items: RowErrorView[]; total: number; invalidRows: number }> {
  const res = await app.http
    .get(`/api/v1/uploads/${id}/errors?limit=1000`)
    .set('Authorization', `Bearer ${token}`);
  if (res.status !== 200) throw new Error(`errors answered ${res.status}: ${res.text}`);
  return res.body;
}

/** One part of a hand-built multipart body. */
export interface MultipartPart {
  /**
   * The Content-Disposition parameters after `form-data; `, written as is (UTF-8), e.g.
   * `name="file"; filename="a.csv"`: lets a test send names no HTTP client library would.
   */
  disposition: string;
  body: string | Buffer;
  contentType?: string;
}

/** A multipart/form-data body built byte by byte, with its Content-Type. */
export function multipartBody(parts: MultipartPart[]): { body: Buffer; contentType: string } {
  const boundary = `----jobtrack-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = [
      `--${boundary}`,
      `Content-Disposition: form-data; ${part.disposition}`,
      ...(part.contentType ? [`Content-Type: ${part.contentType}`] : []),
      '',
      '',
    ].join('\r\n');
    chunks.push(Buffer.from(head), Buffer.from(part.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** POST /api/v1/uploads with a hand-built multipart body (see MultipartPart). */
export function postMultipart(app: TestApp, token: string, parts: MultipartPart[]): request.Test {
  const { body, contentType } = multipartBody(parts);
  return app.http
    .post('/api/v1/uploads')
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', contentType)
    .send(body);
}

/** Plain text fields (dataset, mode…) as multipart parts. */
export function fieldParts(fields: Record<string, string>): MultipartPart[] {
  return Object.entries(fields).map(([name, value]) => ({
    disposition: `name="${name}"`,
    body: value,
  }));
}

/** The usual fields and a file part whose filename parameters are given raw. */
export function fileUploadParts(
  csv: string | Buffer,
  filenameParams: string,
  fields: Record<string, string> = { dataset: 'transactions', mode: 'partial' },
): MultipartPart[] {
  return [
    ...fieldParts(fields),
    { disposition: `name="file"; ${filenameParams}`, body: csv, contentType: 'text/csv' },
  ];
}

/** RFC 8187 `filename*` parameter: UTF-8, every byte but unreserved ones percent-encoded. */
export function extendedFilename(name: string): string {
  const encoded = [...Buffer.from(name)]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return `filename*=UTF-8''${encoded}`;
}
