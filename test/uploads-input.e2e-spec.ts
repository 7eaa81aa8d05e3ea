/**
 * What POST /api/v1/uploads does with bad, odd and hostile input, end to end: the real app
 * over HTTP, real workers, PostgreSQL and the upload directory. A bad file is refused with a
 * 4xx problem (nothing kept), or fails its import with a reason, or has its bad rows
 * reported; it never causes a 500, a crash or a stray file.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Client } from 'pg';
import type request from 'supertest';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import { defineDataset } from '../src/modules/uploads/datasets/dataset';
import { DatasetRegistry } from '../src/modules/uploads/datasets/dataset-registry';
import { fixture, FIXTURES } from './utils/fixtures';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';
import {
  csvCell,
  expectProblem,
  extendedFilename,
  fieldParts,
  fileUploadParts,
  multipartBody,
  postMultipart,
  postUpload,
  Problem,
  rowErrors,
  settled,
  transactionsCsv,
  TX_HEADER,
  txRow,
  upload,
  UploadFields,
} from './utils/uploads';

const BLNS = JSON.parse(fixture('blns.json').toString('utf8')) as string[];

/** The name the server gives a stored file: a UUID v7, never anything from the client. */
const SERVER_FILE_NAME = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.csv$/;
/** What text columns refuse (tab is allowed). */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** A valid transactions row whose description cell is written as given (already encoded). */
const rowWithDescription = (id: string, cell: string) =>
  `${id},ACC-1,2025-01-15,10.00,EUR,${cell},`;

/** At least `bytes` of valid rows (1..n): more than the header check reads before it answers. */
function manyRows(bytes: number): string[] {
  const rows: string[] = [];
  for (let size = 0, i = 1; size < bytes; i++) {
    rows.push(txRow(i));
    size += rows[rows.length - 1].length + 1;
  }
  return rows;
}

const problemFields = (body: Problem) => body.errors?.map((e) => e.field);

/** A dataset as GET /api/v1/datasets lists it. */
interface DatasetListing {
  name: string;
  writable: boolean;
  columns: object[];
}

describe('POST /api/v1/uploads: input refused at once', () => {
  const env = isolatedEnv({ UPLOAD_MAX_BYTES: '4096', UPLOAD_MAX_LINE_BYTES: '512' });
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
  afterEach(async () => {
    // Nothing of a refused upload is kept: no row, no file, not even a partial one.
    // (Cleared before asserting, so that one leak fails one test, not every later one.)
    const files = readdirSync(env.UPLOAD_DIR);
    const { rows } = await db.query('DELETE FROM uploads RETURNING id');
    for (const file of files) rmSync(join(env.UPLOAD_DIR, file), { force: true });
    expect(files).toEqual([]);
    expect(rows).toEqual([]);
  });

  const missingCurrency = TX_HEADER.replace(',currency', '');
  const semicolons = transactionsCsv(2).replace(/,/g, ';');

  describe('a file that cannot be imported at all: 422 with the reason (csvError)', () => {
    it.each<[string, string | Buffer, UploadFields, string, RegExp]>([
      ['an empty file', '', {}, 'EMPTY_FILE', /empty/],
      [
        'blank lines only (csvkit empty.csv)',
        fixture('csv-edge-cases/csvkit-examples/empty.csv'),
        {},
        'EMPTY_FILE',
        /empty/,
      ],
      ['a header without data rows', `${TX_HEADER}\n`, {}, 'NO_DATA_ROWS', /no data rows/],
      [
        'a header without a required column',
        `${missingCurrency}\nT-1,ACC,2025-01-01,1.00,x,y\n`,
        {},
        'MISSING_COLUMN',
        /"currency"/,
      ],
      [
        'a ;-separated file read with the default ","',
        semicolons,
        {},
        'MISSING_COLUMN',
        /";": is that the delimiter\?/,
      ],
      [
        'a column mapping that leaves a column missing',
        transactionsCsv(1).replace(',currency,', ',Währung,'),
        { columnMapping: '{"Waehrung":"currency"}' },
        'MISSING_COLUMN',
        /"currency" \(mapped from "Waehrung"\)/,
      ],
      [
        'a header naming a column twice',
        `${TX_HEADER},amount\n${txRow(1)},1.00\n`,
        {},
        'DUPLICATE_COLUMN',
        /"amount" appears more than once/,
      ],
      [
        'NUL bytes (csvkit null_byte.csv)',
        fixture('csv-edge-cases/csvkit-examples/null_byte.csv'),
        {},
        'BINARY',
        /NUL byte/,
      ],
      ['a gzip-compressed CSV', gzipSync(transactionsCsv(5)), {}, 'BINARY', /binary file/],
      [
        'UTF-16 LE with a BOM (csvkit test_utf16_little.csv)',
        fixture('csv-edge-cases/csvkit-examples/test_utf16_little.csv'),
        {},
        'UNSUPPORTED_ENCODING',
        /UTF-16.*save it as UTF-8/,
      ],
      [
        'UTF-16 BE with a BOM (csvkit test_utf16_big.csv)',
        fixture('csv-edge-cases/csvkit-examples/test_utf16_big.csv'),
        {},
        'UNSUPPORTED_ENCODING',
        /UTF-16/,
      ],
      ['UTF-16 without a BOM', Buffer.from(transactionsCsv(2), 'utf16le'), {}, 'BINARY', /UTF-16/],
      [
        'a Latin-1 header (csvlint invalid-byte-sequence.csv)',
        fixture('csv-edge-cases/csvlint-rb/invalid-byte-sequence.csv'),
        {},
        'INVALID_UTF8',
        /not valid UTF-8/,
      ],
      [
        'a first line over UPLOAD_MAX_LINE_BYTES (512)',
        `${TX_HEADER},${'x'.repeat(600)}\n${txRow(1)},\n`,
        {},
        'LINE_TOO_LONG',
        /longer than 512 bytes/,
      ],
    ])('%s', async (_what, csv, fields, csvError, detail) => {
      const body = expectProblem(await postUpload(app, token, csv, fields), 422);
      expect(body.csvError).toBe(csvError);
      expect(body.detail).toMatch(detail);
    });
  });

  describe('bad fields: 400 naming the field', () => {
    it.each<[string, UploadFields, string]>([
      ['an unknown dataset', { dataset: 'payroll' }, 'dataset'],
      ['an unknown mode', { mode: 'lenient' }, 'mode'],
      ['malformed columnMapping JSON', { columnMapping: '{"Booking date": ' }, 'columnMapping'],
      ['a columnMapping that is not an object', { columnMapping: '["a","b"]' }, 'columnMapping'],
      ['a columnMapping with a non-string target', { columnMapping: '{"a":1}' }, 'columnMapping'],
      ['a delimiter of two characters', { delimiter: ';;' }, 'delimiter'],
      ['a quote as delimiter', { delimiter: '"' }, 'delimiter'],
      ['an unknown priority', { priority: 'ASAP' }, 'priority'],
    ])('%s', async (_what, fields, field) => {
      const body = expectProblem(await postUpload(app, token, transactionsCsv(2), fields), 400);
      expect(problemFields(body)).toContain(field);
      expect(body.detail).toContain(field);
    });

    it('no mode', async () => {
      const res = await postUpload(app, token, transactionsCsv(1), { mode: undefined });
      expect(problemFields(expectProblem(res, 400))).toContain('mode');
    });

    it('a field the upload does not know', async () => {
      const body = expectProblem(
        await postMultipart(
          app,
          token,
          fileUploadParts(transactionsCsv(1), 'filename="tx.csv"', {
            dataset: 'transactions',
            mode: 'partial',
            tenant: 'globex',
          }),
        ),
        400,
      );
      expect(problemFields(body)).toContain('tenant');
    });

    it('no file part', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${token}`)
        .field('dataset', 'transactions')
        .field('mode', 'partial');
      const body = expectProblem(res, 400);
      expect(problemFields(body)).toEqual(['file']);
    });

    it('the file in another field', async () => {
      const body = expectProblem(
        await postMultipart(app, token, [
          ...fieldParts({ dataset: 'transactions', mode: 'partial' }),
          { disposition: 'name="csv"; filename="tx.csv"', body: transactionsCsv(1) },
        ]),
        400,
      );
      // The file is missing from its field, and that is what the answer says.
      expect(problemFields(body)).toEqual(['file']);
    });

    it('two files', async () => {
      const parts = fileUploadParts(transactionsCsv(1), 'filename="a.csv"');
      const body = expectProblem(
        await postMultipart(app, token, [...parts, parts[parts.length - 1]]),
        400,
      );
      expect(body.detail).toMatch(/only one file/);
    });
  });

  describe('not an upload at all', () => {
    it('JSON instead of multipart: 415', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${token}`)
        .send({ dataset: 'transactions', mode: 'partial', file: transactionsCsv(1) });
      expect(expectProblem(res, 415).detail).toMatch(/multipart\/form-data/);
    });

    it('a bare CSV body: 415', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'text/csv')
        .send(transactionsCsv(1));
      expectProblem(res, 415);
    });

    it('multipart without a boundary: 400', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'multipart/form-data')
        .send(transactionsCsv(1));
      expect(expectProblem(res, 400).detail).toMatch(/boundary/);
    });

    it('a truncated multipart body: 400', async () => {
      const { body, contentType } = multipartBody(
        fileUploadParts(transactionsCsv(1), 'filename="tx.csv"'),
      );
      const res = await app.http
        .post('/api/v1/uploads')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', contentType)
        .send(body.subarray(0, body.length - 40));
      expectProblem(res, 400);
    });

    it('no token: 401', async () => {
      const res = await app.http
        .post('/api/v1/uploads')
        .field('dataset', 'transactions')
        .field('mode', 'partial')
        .attach('file', Buffer.from(transactionsCsv(1)), 'tx.csv');
      expectProblem(res, 401);
    });
  });

  describe('too large', () => {
    it('a file over UPLOAD_MAX_BYTES (4096): 413 with the limit', async () => {
      const csv = transactionsCsv(80);
      expect(csv.length).toBeGreaterThan(4096);
      const body = expectProblem(await postUpload(app, token, csv), 413);
      expect(body).toMatchObject({ maxBytes: 4096 });
      expect(body.detail).toMatch(/4096 bytes/);
    });

    it('a body declared far over the limit: 413 before it is read', async () => {
      const csv = transactionsCsv(30_000); // ~2.5 MB: over the limit plus the envelope allowance
      const body = expectProblem(await postUpload(app, token, csv), 413);
      expect(body).toMatchObject({ maxBytes: 4096 });
    });
  });
});

describe('uploads: import-time problems, hostile names and data, tenants, retention', () => {
  const env = isolatedEnv({
    UPLOAD_MAX_LINE_BYTES: '2048',
    UPLOAD_BATCH_ROWS: '500',
    UPLOAD_COPY_CHUNK_ROWS: '500',
  });
  // The upload directory sits in a directory of its own, so that a file written anywhere
  // beside it (a path taken from a filename) would be seen.
  const sandbox = env.UPLOAD_DIR;
  env.UPLOAD_DIR = join(sandbox, 'uploads');
  let app: TestApp;
  let db: Client;

  const tokens = new Map<string, string>();
  /** A token of a user of `tenant` (a tenant per test keeps their rows apart). */
  const tokenOf = async (tenant: string) => {
    if (!tokens.has(tenant)) tokens.set(tenant, await app.token({ tenant }));
    return tokens.get(tenant)!;
  };
  const storedFiles = () => (existsSync(env.UPLOAD_DIR) ? readdirSync(env.UPLOAD_DIR) : []);
  const transactions = async (tenant: string) =>
    (
      await db.query<{ external_id: string; description: string | null; amount: string }>(
        'SELECT external_id, account, amount::text, description, category FROM transactions WHERE tenant_id = $1 ORDER BY id',
        [tenant],
      )
    ).rows;
  const storedPath = async (id: string) =>
    (await db.query('SELECT stored_path FROM uploads WHERE id = $1', [id])).rows[0]?.stored_path as
      string | undefined;

  beforeAll(async () => {
    app = await startTestApp(env);
    db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await cleanupEnv(env);
    rmSync(sandbox, { recursive: true, force: true });
  });
  afterEach(async () => {
    // Every file in UPLOAD_DIR is the stored file of an upload row, under a server-made
    // name; no partial file is left, and nothing is written beside the directory.
    const kept = (await db.query('SELECT stored_path FROM uploads')).rows.map((r) =>
      basename(r.stored_path as string),
    );
    expect(storedFiles().sort()).toEqual(kept.sort());
    for (const file of storedFiles()) expect(file).toMatch(SERVER_FILE_NAME);
    expect(readdirSync(sandbox).filter((f) => f !== 'uploads')).toEqual([]);
  });

  /** Uploads as `tenant`, waits for the end, returns the upload's view. */
  const importAs = async (tenant: string, csv: string | Buffer, fields: UploadFields = {}) => {
    const token = await tokenOf(tenant);
    return settled(app, token, await upload(app, token, csv, fields));
  };

  describe('problems found while importing', () => {
    /** Partial mode: the batches committed before a fatal error stay, and the view says which. */
    const expectKeptBeforeFailure = (
      done: Record<string, unknown>,
      kept: { external_id: string }[],
    ) => {
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.map((r) => r.external_id)).toEqual(kept.map((_r, i) => `TX-${i + 1}`));
      expect(done.written).toBe(
        `rows 1-${kept.length} were written and kept (${kept.length} inserted, 0 updated, 0 unchanged); the rest was not`,
      );
    };

    it('an unterminated quote at the end of a long file: FAILED, UNTERMINATED_QUOTE, at its row', async () => {
      const rows = manyRows(1_500_000);
      const last = rows.length + 1;
      const csv = [TX_HEADER, ...rows, rowWithDescription('T-END', '"no closing quote')].join('\n');
      const done = await importAs('quote', csv);
      expect(done.status).toBe('FAILED');
      expect(done.errorMessage).toMatch(
        new RegExp(`row ${last} \\(line ${last + 1}\\) is never closed`),
      );
      expect(done.errorDetails).toMatchObject({
        class: 'NonRetryableError',
        details: { code: 'UNTERMINATED_QUOTE', row: last, line: last + 1 },
      });
      expect(done.errorDetails.stack).toBeUndefined();
      expect(done.attempts).toBe(1); // a bad file is not retried
      // Partial mode: what was committed before the failure stays, and the view says so.
      expectKeptBeforeFailure(done, await transactions('quote'));
    });

    it('a line over UPLOAD_MAX_LINE_BYTES after many good rows: FAILED, LINE_TOO_LONG, at its row', async () => {
      const rows = manyRows(1_500_000);
      const long = rows.length + 1;
      const csv = [
        TX_HEADER,
        ...rows,
        rowWithDescription('T-LONG', 'x'.repeat(3000)),
        ...manyRows(1000).map((r) => r.replace(/^TX-/, 'TX-AFTER-')),
      ].join('\n');
      const done = await importAs('long', csv);
      expect(done.status).toBe('FAILED');
      expect(done.errorMessage).toMatch(new RegExp(`row ${long} .*longer than 2048 bytes`));
      expect(done.errorDetails.details).toMatchObject({ code: 'LINE_TOO_LONG', row: long });
      const kept = await transactions('long');
      expectKeptBeforeFailure(done, kept);
      expect(kept.every((r) => !r.external_id.startsWith('TX-AFTER-'))).toBe(true);
    });

    it('invalid UTF-8 in one data row: that row is reported, the others imported (partial)', async () => {
      const csv = Buffer.concat([
        Buffer.from(`${TX_HEADER}\n${txRow(1)}\n`),
        Buffer.from(`${rowWithDescription('T-LATIN1', 'Café')}\n`, 'latin1'), // é is 0xE9
        Buffer.from(`${txRow(3)}\n`),
      ]);
      const done = await importAs('utf8', csv);
      expect(done.status).toBe('COMPLETED');
      expect(done.counts).toMatchObject({ total: 3, processed: 3, inserted: 2, invalid: 1 });
      const errors = await rowErrors(app, await tokenOf('utf8'), done.id);
      expect(errors.items).toEqual([
        expect.objectContaining({
          row: 2,
          line: 3,
          column: 'description',
          message: expect.stringMatching(/not valid UTF-8 \(is the file Latin-1/),
        }),
      ]);
      expect((await transactions('utf8')).map((r) => r.external_id)).toEqual(['TX-1', 'TX-3']);
    });

    it('the same file in strict mode: FAILED, nothing written, the row reported', async () => {
      const csv = Buffer.concat([
        Buffer.from(`${TX_HEADER}\n${txRow(1)}\n`),
        Buffer.from(`${rowWithDescription('T-LATIN1', 'Café')}\n`, 'latin1'),
      ]);
      const done = await importAs('utf8-strict', csv, { mode: 'strict' });
      expect(done.status).toBe('FAILED');
      expect(done.errorMessage).toBe('1 of 2 rows are invalid; nothing was written (strict mode)');
      expect(done.written).toBe('nothing was written');
      expect(await transactions('utf8-strict')).toEqual([]);
      const errors = await rowErrors(app, await tokenOf('utf8-strict'), done.id);
      expect(errors.items).toEqual([expect.objectContaining({ row: 2, column: 'description' })]);
    });
  });

  describe('a client that goes away', () => {
    it('an upload aborted mid-body leaves no partial file and no row', async () => {
      const before = storedFiles();
      const { body, contentType } = multipartBody(
        fileUploadParts(transactionsCsv(20_000), 'filename="tx.csv"'),
      );
      const url = new URL(app.url);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: '/api/v1/uploads',
        method: 'POST',
        headers: {
          'content-type': contentType,
          'content-length': body.length,
          authorization: `Bearer ${await tokenOf('aborted')}`,
        },
      });
      const gone = new Promise<void>((resolve) => req.on('close', resolve));
      req.on('error', () => undefined); // the abort itself
      req.write(body.subarray(0, body.length / 2));
      // Once the server is writing the file, the client disappears.
      await waitFor(() => storedFiles().some((f) => f.endsWith('.part')), {
        what: 'the partial file',
      });
      req.destroy();
      await gone;
      await waitFor(() => storedFiles().every((f) => before.includes(f)), {
        what: 'the partial file to be removed',
      });
      expect((await db.query(`SELECT 1 FROM uploads WHERE tenant_id = 'aborted'`)).rows).toEqual(
        [],
      );
    });
  });

  describe('how a file is read', () => {
    it('columnMapping renames the headers of a bank export to dataset columns', async () => {
      const csv = [
        'Buchungs-ID,Konto,Buchungstag,Betrag,Währung,Verwendungszweck',
        'B-1,DE89370400440532013000,2025-04-01,-42.50,EUR,"Miete, April"',
        'B-2,DE89370400440532013000,2025-04-02,1200.00,EUR,Gehalt',
      ].join('\n');
      const columnMapping = JSON.stringify({
        'Buchungs-ID': 'external_id',
        Konto: 'account',
        Buchungstag: 'booked_at',
        Betrag: 'amount',
        Währung: 'currency',
        Verwendungszweck: 'description',
      });
      const done = await importAs('mapping', csv, { columnMapping });
      expect(done).toMatchObject({ status: 'COMPLETED', columnMapping: JSON.parse(columnMapping) });
      expect(done.counts).toMatchObject({ inserted: 2, invalid: 0 });
      expect(await transactions('mapping')).toEqual([
        expect.objectContaining({
          external_id: 'B-1',
          amount: '-42.5000',
          description: 'Miete, April',
        }),
        expect.objectContaining({ external_id: 'B-2', amount: '1200.0000', description: 'Gehalt' }),
      ]);
    });

    it('headers named like Object.prototype members are ordinary columns', async () => {
      const csv = [
        `${TX_HEADER.replace('description,category', '__proto__,constructor')}`,
        'P-1,ACC-1,2025-01-01,1.00,EUR,"proto text",ctor',
      ].join('\n');
      const columnMapping = '{"__proto__":"description","constructor":"category"}';
      const done = await importAs('proto', csv, { columnMapping });
      expect(done.status).toBe('COMPLETED');
      expect(await transactions('proto')).toEqual([
        expect.objectContaining({
          external_id: 'P-1',
          description: 'proto text',
          category: 'ctor',
        }),
      ]);
    });

    it('a UTF-8 BOM and CRLF line ends (as Excel saves) import cleanly', async () => {
      const csv = `\ufeff${[TX_HEADER, txRow(1), rowWithDescription('T-2', '"Zoë, café"')].join('\r\n')}\r\n`;
      const done = await importAs('bom', csv);
      expect(done.status).toBe('COMPLETED');
      expect(done.counts).toMatchObject({ total: 2, inserted: 2, invalid: 0 });
      expect(await transactions('bom')).toEqual([
        expect.objectContaining({ external_id: 'TX-1', description: 'Card payment, shop 1' }),
        expect.objectContaining({ external_id: 'T-2', description: 'Zoë, café' }),
      ]);
    });

    it('a ;-separated file imports with delimiter=";", a tab-separated one with "tab"', async () => {
      const semicolons = transactionsCsv(2).replace(/,/g, ';');
      const done = await importAs('semicolon', semicolons, { delimiter: ';' });
      expect(done).toMatchObject({ status: 'COMPLETED', delimiter: ';' });
      expect((await transactions('semicolon')).map((r) => r.description)).toEqual([
        'Card payment; shop 1',
        'Card payment; shop 2',
      ]);
      const tabs = transactionsCsv(2).replace(/,/g, '\t');
      expect(await importAs('tab', tabs, { delimiter: 'tab' })).toMatchObject({
        status: 'COMPLETED',
        counts: expect.objectContaining({ inserted: 2 }),
      });
    });
  });

  describe('hostile filenames', () => {
    /** Uploads with raw filename parameters; returns the display name and the stored file. */
    const uploadNamed = async (filenameParams: string) => {
      const token = await tokenOf('names');
      const before = new Set(storedFiles());
      const res = await postMultipart(
        app,
        token,
        fileUploadParts(transactionsCsv(2), filenameParams),
      );
      if (res.status !== 202) throw new Error(`answered ${res.status}: ${res.text}`);
      const view = await settled(app, token, res.body.id);
      expect(view.status).toBe('COMPLETED');
      const added = storedFiles().filter((f) => !before.has(f));
      // The one new file is the upload's own, under a server-made name in UPLOAD_DIR.
      expect(added).toEqual([basename((await storedPath(view.id))!)]);
      expect(added[0]).toMatch(SERVER_FILE_NAME);
      expect((await storedPath(view.id))!.startsWith(`${env.UPLOAD_DIR}/`)).toBe(true);
      const name = view.originalFilename as string;
      // Display text: no path, no control characters, at most 255 characters, well formed.
      expect(name).not.toMatch(/[/\\]/);
      expect(name).not.toMatch(CONTROL);
      expect(Array.from(name).length).toBeLessThanOrEqual(255);
      expect(name.isWellFormed()).toBe(true);
      expect(name.length).toBeGreaterThan(0);
      return name;
    };

    it.each<[string, string, string]>([
      ['a relative path', 'filename="../../etc/passwd"', 'passwd'],
      ['an absolute path', 'filename="/etc/cron.d/evil.csv"', 'evil.csv'],
      ['a Windows path', extendedFilename('..\\..\\Windows\\win.ini'), 'win.ini'],
      ['only dots', 'filename=".."', 'upload.csv'],
      [
        'an encoded NUL byte and an ANSI escape',
        extendedFilename('a\u0000b\u001b[31mred.csv'),
        'ab[31mred.csv',
      ],
      ['control characters and DEL', extendedFilename('\u0001x\u007f\u0008y\u009b.csv'), 'xy.csv'],
      [
        'CR LF (header injection)',
        extendedFilename('a.csv\r\nX-Injected: 1'),
        'a.csvX-Injected: 1',
      ],
      ['a 4 KB name', `filename="${'a'.repeat(4096)}.csv"`, `${'a'.repeat(254)}…`],
      [
        'a 4 KB name of emoji (no split surrogate)',
        extendedFilename('😀'.repeat(1024)),
        `${'😀'.repeat(254)}…`,
      ],
      [
        'UTF-8 as browsers send it (raw in filename="")',
        'filename="Umsätze März – 東京.csv"',
        'Umsätze März – 東京.csv',
      ],
    ])('%s', async (_what, params, display) => {
      expect(await uploadNamed(params)).toBe(display);
    });

    it.each<[string, string, RegExp]>([
      // Raw control bytes are not allowed in a header (RFC 9110); clients percent-encode them.
      ['a raw NUL byte', 'filename="tx\u0000.csv"', /Malformed part header/],
      ['raw control characters', 'filename="\u0001x\u007f\u001by.csv"', /Malformed part header/],
      // Without a filename a part is a text field, so no file was sent.
      ['an empty filename', 'filename=""', /file: is required/],
    ])('%s: 400, nothing kept', async (_what, params, detail) => {
      const before = storedFiles();
      const res = await postMultipart(
        app,
        await tokenOf('names'),
        fileUploadParts(transactionsCsv(2), params),
      );
      expect(expectProblem(res, 400).detail).toMatch(detail);
      expect(storedFiles()).toEqual(before);
    });

    it('names made of every string of blns.json', async () => {
      // Chunks of about 2 KB: the whole list would exceed a part header's 16 KB.
      const chunks: string[] = [''];
      for (const s of BLNS) {
        if (Buffer.byteLength(chunks[chunks.length - 1]) > 2000) chunks.push('');
        chunks[chunks.length - 1] += s;
      }
      for (const chunk of chunks) await uploadNamed(extendedFilename(chunk));
    });
  });

  describe('naughty data', () => {
    it('every string of blns.json as a description: stored as sent (trimmed) or reported', async () => {
      const csv = [
        TX_HEADER,
        ...BLNS.map((s, i) => rowWithDescription(`N-${i + 1}`, `"${s.replace(/"/g, '""')}"`)),
      ].join('\n');
      const done = await importAs('blns', csv);
      expect(done.status).toBe('COMPLETED');
      expect(done.counts.processed).toBe(BLNS.length);
      expect(done.counts.inserted + done.counts.invalid).toBe(BLNS.length);

      const stored = new Map((await transactions('blns')).map((r) => [r.external_id, r]));
      const errors = await rowErrors(app, await tokenOf('blns'), done.id);
      const errorByRow = new Map(errors.items.map((e) => [e.row, e]));
      expect(errors.invalidRows).toBe(done.counts.invalid);
      BLNS.forEach((s, i) => {
        const value = s.trim(); // text cells are trimmed; an empty one is null
        const row = stored.get(`N-${i + 1}`);
        const error = errorByRow.get(i + 1);
        if (CONTROL.test(value)) {
          // Control characters (other than tab) are refused, with the reason and the place.
          expect({ s, row }).toEqual({ s, row: undefined });
          expect(error).toMatchObject({
            column: 'description',
            message: expect.stringMatching(/control character U\+[0-9A-F]{4} at position \d+/),
          });
        } else {
          expect({ s, error }).toEqual({ s, error: undefined });
          expect({ s, description: row?.description }).toEqual({
            s,
            description: value === '' ? null : value,
          });
        }
      });
    });

    it('csv-spectrum quoting (empty "", commas, doubled quotes, inner quotes, newlines) survives the trip', async () => {
      // The reader's unit spec parses every csv-spectrum file byte for byte; this sends their
      // values through HTTP, the worker and COPY, each written the way the spectrum writes it.
      const dir = join(FIXTURES, 'csv-spectrum', 'json');
      const values = readdirSync(dir)
        .sort()
        .flatMap((file) => {
          const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as
            Record<string, string> | Record<string, string>[];
          return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((r) =>
            Object.values(r).map(String),
          );
        });
      const spectrumCell = (v: string) =>
        v === '' ? '""' : /[,\r\n]/.test(v) || v.startsWith('"') ? csvCell(v) : v;
      const csv = [
        TX_HEADER,
        ...values.map((v, i) => rowWithDescription(`S-${i + 1}`, spectrumCell(v))),
      ].join('\r\n');
      const done = await importAs('spectrum', csv);
      expect(done.status).toBe('COMPLETED');
      expect(done.counts.processed).toBe(values.length);

      const stored = new Map((await transactions('spectrum')).map((r) => [r.external_id, r]));
      const errors = await rowErrors(app, await tokenOf('spectrum'), done.id);
      values.forEach((v, i) => {
        const id = `S-${i + 1}`;
        if (/[\r\n]/.test(v)) {
          // A line break inside a quoted cell keeps the record whole; text columns refuse it.
          expect(stored.has(id)).toBe(false);
          expect(errors.items).toContainEqual(
            expect.objectContaining({ row: i + 1, message: expect.stringMatching(/U\+000[AD]/) }),
          );
        } else {
          expect({ v, stored: stored.get(id)?.description }).toEqual({
            v,
            stored: v.trim() === '' ? null : v.trim(),
          });
        }
      });
      expect(values.some((v) => v.includes('"'))).toBe(true);
      expect(values.some((v) => v.includes(','))).toBe(true);
    });
  });

  describe('tenants, roles and datasets', () => {
    beforeAll(() => {
      app.app.get(DatasetRegistry).register(
        defineDataset({
          name: 'ref-test',
          table: 'ref_test',
          owner: 'reference',
          requiredRole: 'reference-writer',
          naturalKey: ['code'],
          columns: [{ name: 'code', type: { kind: 'text', maxLength: 8 }, required: true }],
        }),
      );
    });

    it('another tenant cannot see, list, cancel or retry an upload: 404, as if it did not exist', async () => {
      const acme = await tokenOf('acme');
      const globex = await tokenOf('globex');
      const csv = `${TX_HEADER}\n${txRow(1)}\nBAD,ACC,2025-13-01,1.00,EUR,,\n`;
      const mine = await importAs('acme', csv);
      const theirs = await importAs('globex', csv);
      expect(mine.counts.invalid).toBe(1);

      const as = (token: string, req: request.Test) => req.set('Authorization', `Bearer ${token}`);
      const attempts = (id: string) => [
        () => app.http.get(`/api/v1/uploads/${id}`),
        () => app.http.get(`/api/v1/uploads/${id}/errors`),
        () => app.http.get(`/api/v1/jobs/${id}`),
        () => app.http.post(`/api/v1/jobs/${id}/cancel`).send({}),
        () => app.http.post(`/api/v1/jobs/${id}/retry`),
      ];
      for (const attempt of attempts(mine.id)) {
        const body = expectProblem(await as(globex, attempt()), 404);
        expect(body.detail).toMatch(new RegExp(`^(upload|job) ${mine.id} was not found$`));
      }
      // The owner gets answers (a completed upload cannot be cancelled or retried: 409).
      const own = await Promise.all(
        attempts(mine.id).map(async (a) => (await as(acme, a())).status),
      );
      expect(own).toEqual([200, 200, 200, 409, 409]);

      const listed = await as(globex, app.http.get('/api/v1/uploads'));
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((u: { id: string }) => u.id)).toEqual([theirs.id]);
      expect(listed.body.total).toBe(1);
      const errors = await as(acme, app.http.get(`/api/v1/uploads/${mine.id}/errors`));
      expect(errors.body.items).toHaveLength(1);
    });

    it('a reference dataset needs its role: 403 for a tenant user, and nothing is kept', async () => {
      const before = storedFiles();
      const res = await postUpload(app, await tokenOf('acme'), 'code\nEUR\n', {
        dataset: 'ref-test',
      });
      expect(expectProblem(res, 403).detail).toMatch(/"reference-writer" role/);
      expect(storedFiles()).toEqual(before);
    });

    it('an admin token without a tenant cannot upload tenant data: 403', async () => {
      const token = await app.token({ tenant: null, roles: ['admin'] });
      const res = await postUpload(app, token, transactionsCsv(1));
      expect(expectProblem(res, 403).detail).toMatch(/belongs to a tenant/);
    });

    it('GET /datasets describes each dataset and whether the caller may write it', async () => {
      const list = async (token: string) => {
        const res = await app.http.get('/api/v1/datasets').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(200);
        return new Map((res.body.items as DatasetListing[]).map((d) => [d.name, d]));
      };
      const tenantUser = await list(await tokenOf('acme'));
      expect(tenantUser.get('transactions')).toMatchObject({
        owner: 'tenant',
        writable: true,
        requiredRole: null,
        naturalKey: ['tenant_id', 'external_id'],
      });
      expect(tenantUser.get('transactions')!.columns).toEqual(
        expect.arrayContaining([
          { name: 'tenant_id', type: 'tenant (from the token)', required: true },
          { name: 'external_id', type: 'text', required: true, maxLength: 64 },
          { name: 'booked_at', type: 'date (YYYY-MM-DD)', required: true },
          { name: 'amount', type: 'decimal(18,4)', required: true },
          { name: 'currency', type: 'currency (ISO 4217)', required: true },
          { name: 'description', type: 'text', required: false, maxLength: 500 },
        ]),
      );
      expect(tenantUser.get('ref-test')).toMatchObject({
        owner: 'reference',
        requiredRole: 'reference-writer',
        writable: false,
      });
      const writer = await list(await app.token({ tenant: 'acme', roles: ['reference-writer'] }));
      expect(writer.get('ref-test')!.writable).toBe(true);
      expect(writer.get('transactions')!.writable).toBe(true);
      const admin = await list(await app.token({ tenant: null, roles: ['admin'] }));
      expect(admin.get('ref-test')!.writable).toBe(true);
      expect(admin.get('transactions')!.writable).toBe(false); // no tenant to write for
    });

    it('no token: 401 everywhere', async () => {
      for (const res of await Promise.all([
        app.http.get('/api/v1/datasets'),
        app.http.get('/api/v1/uploads'),
        app.http.get('/api/v1/uploads/00000000-0000-7000-8000-000000000000'),
        app.http.post('/api/v1/uploads').attach('file', Buffer.from(transactionsCsv(1)), 'tx.csv'),
      ])) {
        expectProblem(res, 401);
      }
    });
  });

  describe('retention', () => {
    it('deletes an old upload with its row errors and its stored file; the imported rows stay', async () => {
      const token = await tokenOf('retention');
      const csv = `${TX_HEADER}\n${txRow(1)}\nBAD,ACC,2025-13-01,1.00,EUR,,\n`;
      const old = await importAs('retention', csv);
      const recent = await importAs('retention', transactionsCsv(1, 10));
      const oldFile = (await storedPath(old.id))!;
      expect(existsSync(oldFile)).toBe(true);
      expect((await rowErrors(app, token, old.id)).items).toHaveLength(1);

      await db.query(
        `UPDATE uploads SET completed_at = now() - interval '400 days' WHERE id = $1`,
        [old.id],
      );
      const report = await app.app.get(MaintenanceService).applyRetention();
      expect(report.deleted).toBe(1);

      expect(existsSync(oldFile)).toBe(false);
      expectProblem(
        await app.http.get(`/api/v1/uploads/${old.id}`).set('Authorization', `Bearer ${token}`),
        404,
      );
      expect(
        (
          await db.query('SELECT count(*)::int AS n FROM upload_row_errors WHERE upload_id = $1', [
            old.id,
          ])
        ).rows[0].n,
      ).toBe(0);
      // The recent upload and its file are untouched; imported data is not the upload's to delete.
      expect(existsSync((await storedPath(recent.id))!)).toBe(true);
      expect((await transactions('retention')).map((r) => r.external_id)).toEqual([
        'TX-1',
        'TX-10',
      ]);
    });
  });
});
