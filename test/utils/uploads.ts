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
