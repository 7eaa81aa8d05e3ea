import { Client } from 'pg';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import {
  postUpload,
  rowErrors,
  settled,
  transactionsCsv,
  TX_HEADER,
  upload,
} from './utils/uploads';

describe('CSV uploads (transactions)', () => {
  const env = isolatedEnv({ UPLOAD_BATCH_ROWS: '3', UPLOAD_COPY_CHUNK_ROWS: '10' });
  let app: TestApp;
  let db: Client;
  let token: string;

  beforeAll(async () => {
    app = await startTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    token = await app.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await cleanupEnv(env);
  });

  const stored = async (tenant: string) =>
    (
      await db.query(
        'SELECT external_id, account, booked_at::text, amount::text, currency, description, category FROM transactions WHERE tenant_id = $1 ORDER BY external_id',
        [tenant],
      )
    ).rows;

  it('imports valid rows, reports invalid ones by row and column, and counts both (partial)', async () => {
    const csv = [
      TX_HEADER,
      'P-1,ACC-1,2025-01-02,12.3400,EUR,"Coffee, large",food',
      'P-2,ACC-1,2025-02-30,1.00,EUR,,',
      'P-3,ACC-2,2025-01-03,-99999999999999.9999,USD,"He said ""hi""",',
      'P-4,ACC-2,2025-01-03,12.345678,EURO,,',
      'P-5,ACC-3,2025-01-04,0,JPY,,',
    ].join('\r\n');
    const res = await postUpload(app, token, csv);
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/api/v1/uploads/${res.body.id}`);
    expect(res.body).toMatchObject({ type: 'upload', dataset: 'transactions', mode: 'partial' });

    const done = await settled(app, token, res.body.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.counts).toEqual({
      total: 5,
      processed: 5,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      invalid: 2,
    });
    expect(done.sizeBytes).toBe(Buffer.byteLength(csv));
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.storedPath).toBeUndefined();

    expect(await stored('acme')).toEqual([
      expect.objectContaining({
        external_id: 'P-1',
        amount: '12.3400',
        description: 'Coffee, large',
      }),
      expect.objectContaining({
        external_id: 'P-3',
        amount: '-99999999999999.9999',
        description: 'He said "hi"',
        category: null,
      }),
      expect.objectContaining({ external_id: 'P-5', currency: 'JPY', amount: '0.0000' }),
    ]);

    const errors = await app.http
      .get(`/api/v1/uploads/${res.body.id}/errors`)
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(errors.body).toMatchObject({ total: 3, invalidRows: 2, limit: 50, offset: 0 });
    expect(errors.body.items).toEqual([
      expect.objectContaining({ row: 2, line: 3, column: 'booked_at', value: '2025-02-30' }),
      expect.objectContaining({ row: 4, line: 5, column: 'amount', value: '12.345678' }),
      expect.objectContaining({ row: 4, line: 5, column: 'currency', value: 'EURO' }),
    ]);
  });

  it('counts a key repeated in one file as if written row by row, whatever the batch size', async () => {
    const t = await app.token({ tenant: 'dupes' });
    const row = (amount: string) => `D-1,ACC-1,2025-01-02,${amount},EUR,,`;
    const first = await settled(app, t, await upload(app, t, [TX_HEADER, row('1.00')].join('\n')));
    expect(first.counts).toMatchObject({ inserted: 1 });
    // Same value, then a new one: one unchanged, one updated (both in one batch of 3).
    const again = await settled(
      app,
      t,
      await upload(app, t, [TX_HEADER, row('1.00'), row('2.00')].join('\n')),
    );
    expect(again.counts).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
    // New value, then back: two updates, and the last row wins.
    const back = await settled(
      app,
      t,
      await upload(app, t, [TX_HEADER, row('3.00'), row('2.00')].join('\n')),
    );
    expect(back.counts).toMatchObject({ inserted: 0, updated: 2, unchanged: 0 });
    expect((await stored('dupes')).map((r) => r.amount)).toEqual(['2.0000']);
  });

  it('answers 404, not 500, for ids that are not UUIDs', async () => {
    for (const path of ['/api/v1/uploads/undefined', "/api/v1/uploads/1'; --/errors"]) {
      const res = await app.http.get(path).set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  // Fast-path chunks (10 rows here) larger than the JavaScript reader's batches (3): a chunk
  // holding an invalid row is read by the reader in its own batches, and nothing of the
  // file's numbering, counts or checkpoints depends on which path read a row.
  it('reports the invalid row of a chunk by its row in the file, writes the rest, and counts a re-upload as unchanged', async () => {
    const token = await app.token({ tenant: 'mixed' });
    const lines = transactionsCsv(25).trimEnd().split('\n');
    lines[14] = lines[14].replace(',EUR,', ',EURO,'); // row 14 (line 15): a bad currency
    const csv = lines.join('\n') + '\n';
    const first = await settled(app, token, await upload(app, token, csv));
    expect(first.status).toBe('COMPLETED');
    expect(first.counts).toMatchObject({
      total: 25,
      processed: 25,
      inserted: 24,
      invalid: 1,
      updated: 0,
    });
    const errors = await rowErrors(app, token, first.id);
    expect(errors.items).toEqual([
      expect.objectContaining({ row: 14, line: 15, column: 'currency', value: 'EURO' }),
    ]);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM transactions WHERE tenant_id = 'mixed' AND external_id <> 'TX-14'`,
    );
    expect(rows[0].n).toBe(24);
    const again = await settled(app, token, await upload(app, token, csv));
    expect(again.counts).toMatchObject({ processed: 25, inserted: 0, unchanged: 24, invalid: 1 });
  });
});
