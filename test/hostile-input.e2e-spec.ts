/**
 * Hostile input at the boundary (issue #11): control characters in any string, field or claim;
 * date formats the validator used to accept but nothing could parse; deeply nested JSON;
 * unmatched and malformed paths; `__proto__`/`constructor` keys. Each of these answered 500
 * (or HTML, or silence); each must be a 4xx problem+json, or the normal answer.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { TokenService } from '../src/common/auth/token.service';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import {
  expectProblem,
  fieldParts,
  postMultipart,
  postUpload,
  Problem,
  transactionsCsv,
} from './utils/uploads';

/** A request sent byte for byte as written (supertest would re-encode a malformed path). */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers as Record<string, string>,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `{"a":{"a":…1…}}`, `depth` objects deep. */
const nested = (depth: number, key = 'a') =>
  `${`{"${key}":`.repeat(depth - 1)}{"${key}":1}${'}'.repeat(depth - 1)}`;

const fields = (body: Problem) => body.errors?.map((e) => e.field) ?? [];

describe('hostile input: 4xx problem+json, never a 500', () => {
  const env = isolatedEnv();
  let app: TestApp;
  let tokens: TokenService;
  let acme: string;
  let job: string;
  const auth = (token = acme) => ({ Authorization: `Bearer ${token}` });
  const get = (path: string, token = acme) => app.http.get(path).set(auth(token));
  const cancel = (id: string, body: string | object, token = acme) =>
    app.http
      .post(`/api/v1/jobs/${id}/cancel`)
      .set(auth(token))
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  beforeAll(async () => {
    // No workers: jobs stay QUEUED, so every cancel below is possible until one succeeds.
    app = await startTestApp({ ...env, APP_ROLE: 'api', UPLOAD_MAX_BYTES: '4096' });
    tokens = app.app.get(TokenService);
    acme = await app.token({ tenant: 'acme' });
    job = await app.createJob(acme);
  });
  afterAll(async () => {
    await app?.close();
    await cleanupEnv(env);
  });

  describe('4. control characters (NUL reached PostgreSQL: "invalid message format")', () => {
    it.each([
      ['q=%00', 'q'],
      ['q=abc%00def', 'q'],
      ['q=a%1Fb', 'q'],
      ['q=tab%09inside', 'q'],
      ['type=upload%00', 'type'],
      ['status=FAILED%00', 'status'],
      ['from=2026-01-01%00', 'from'],
      ['limit=1%00', 'limit'],
    ])('GET /jobs?%s: 400 naming %s', async (query, field) => {
      const body = expectProblem(await get(`/api/v1/jobs?${query}`), 400);
      expect(fields(body)).toContain(field);
      expect(body.detail).toMatch(/control characters/);
    });

    it('a query key with a control character: 400', async () => {
      const body = expectProblem(await get('/api/v1/jobs?li%00mit=1'), 400);
      expect(body.detail).toMatch(/control characters/);
    });

    it.each([
      '/api/v1/jobs/%00',
      '/api/v1/jobs/0196a1b2-0000-7000-8000-00000000000%01',
      '/api/v1/uploads/%1B/errors',
      '/api/v1/test-jobs/%00',
    ])('path parameter %s: 400 naming id', async (path) => {
      const body = expectProblem(await get(path), 400);
      expect(fields(body)).toEqual(['id']);
    });

    it.each(['\u0000', 'why\u0000not', '\u001b[31mred', 'bell\u0007'])(
      'cancel reason %j: 400 naming reason, the job untouched',
      async (reason) => {
        const body = expectProblem(await cancel(job, { reason }), 400);
        expect(fields(body)).toEqual(['reason']);
        const row = await app.row(job);
        expect(row.status).toBe('QUEUED');
      },
    );

    it('a reason over several lines (TAB, LF, CR) is body text: accepted', async () => {
      const id = await app.createJob(acme);
      const res = await cancel(id, { reason: 'line 1\r\nline 2\n\tindented' });
      expect(res.status).toBe(200);
      expect(res.body.cancelReason).toBe('line 1\r\nline 2\n\tindented');
    });

    it('a control character in a JSON body key: 400', async () => {
      expectProblem(await cancel(job, '{"rea\\u0000son":"x"}'), 400);
    });

    it('a control character deep in a JSON body (test job script): 400 naming its path', async () => {
      const res = await app.http
        .post('/api/v1/test-jobs')
        .set(auth())
        .send({ script: { childScript: { note: 'a\u0000b' } } });
      expect(fields(expectProblem(res, 400))).toEqual(['script.childScript.note']);
    });

    describe('token claims with control characters: 401 on every route', () => {
      const claims: [string, { sub?: string; tenant?: string | null; roles?: string[] }][] = [
        ['tenant with NUL', { tenant: 'ac\u0000me' }],
        ['tenant with ESC', { tenant: '\u001bacme' }],
        ['tenant with LF', { tenant: 'acme\n' }],
        ['sub with NUL', { sub: 'alice\u0000' }],
        ['sub with TAB', { sub: 'al\tice' }],
        ['a role with NUL', { tenant: null, roles: ['admin\u0000'] }],
      ];
      const routes: [string, string, object?][] = [
        ['get', '/api/v1/jobs'],
        ['get', '/api/v1/jobs/active'],
        ['get', '/api/v1/jobs/stats'],
        ['get', '/api/v1/uploads'],
        ['get', '/api/v1/datasets'],
        ['post', '/api/v1/test-jobs', {}],
      ];
      it.each(claims)('%s', async (_what, claim) => {
        const token = await tokens.mint({
          sub: claim.sub ?? 'tester',
          tenant: claim.tenant === undefined ? 'acme' : claim.tenant,
          roles: claim.roles ?? [],
        });
        for (const [method, path, body] of [...routes, ['get', `/api/v1/jobs/${job}`] as const]) {
          const req = method === 'get' ? app.http.get(path) : app.http.post(path).send(body);
          const res = await req.set(auth(token));
          const problem = expectProblem(res, 401);
          expect(problem.detail).toMatch(/claim must not contain control characters/);
          expect(res.headers['www-authenticate']).toBe('Bearer');
        }
        // The queue console reads the same claims: not an admin, so its usual 401.
        expect((await app.http.get('/admin/queues').set(auth(token))).status).toBe(401);
      });
    });

    describe('multipart fields of an upload meet the same rule', () => {
      const csv = transactionsCsv(2);
      it.each([
        ['dataset', 'transactions\u0000'],
        ['mode', 'partial\u0000'],
        ['priority', 'HIGH\u0001'],
      ])('a control character in %s: 400 naming it', async (field, value) => {
        const body = expectProblem(await postUpload(app, acme, csv, { [field]: value }), 400);
        expect(fields(body)).toContain(field);
        expect(body.detail).toMatch(/control characters/);
      });

      it('a control character escaped inside the columnMapping JSON: 400', async () => {
        const res = await postUpload(app, acme, csv, { columnMapping: '{"a\\u0000":"amount"}' });
        expect(fields(expectProblem(res, 400))).toEqual(['columnMapping']);
      });

      it.each([
        ['raw', 'name="no\u0001te"'],
        ['RFC 8187-encoded', "name*=UTF-8''no%00te"],
      ])('a field name with a control character (%s): 400', async (_how, disposition) => {
        const res = await postMultipart(app, acme, [
          ...fieldParts({ dataset: 'transactions', mode: 'partial' }),
          { disposition, body: 'x' },
          { disposition: 'name="file"; filename="a.csv"', body: csv, contentType: 'text/csv' },
        ]);
        expectProblem(res, 400);
      });

      it('a tab delimiter (TAB is body text) is still accepted', async () => {
        const tsv = csv.replace(/,/g, '\t').replace('"Card payment\t shop 1"', 'x');
        const res = await postUpload(app, acme, tsv, { delimiter: '\t' });
        expect(res.status).toBe(202);
      });
    });
  });

  describe('5. dates: exactly the documented formats', () => {
    it.each([
      '2026-W01',
      '2026-W53-7',
      '2026-001',
      '20260101T000000Z',
      '20260101',
      '2026-01-01T00Z',
      '2026-01-01T00:00+01',
      '2026-01-01T00:00+0100',
      '2026-01-01T10:00',
      '2026-01-01T10:00:00',
      '2026-01-01 10:00:00Z',
      '2026-01-01t10:00:00z',
      '2026',
      '2026-01',
      '2026-02-30',
      '2025-02-29',
      '2026-13-01',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-12-31T23:59:60Z',
      '2026-01-01T10:00:00.1234567890Z',
      '2026-01-01T10:00:00+24:00',
      '0000-01-01',
      '0001-01-01T00:00:00+00:01',
      '9999-12-31T23:59:59-00:01',
      '+002026-01-01',
      '١٢٣٤-01-01',
      'now',
    ])('from=%s and to=%s: 400 naming the parameter', async (value) => {
      for (const name of ['from', 'to']) {
        const res = await get(`/api/v1/jobs?${name}=${encodeURIComponent(value)}`);
        const body = expectProblem(res, 400);
        expect(fields(body)).toEqual([name]);
        expect(body.detail).toMatch(/YYYY-MM-DD/);
      }
    });

    it.each([
      ['2026-01-01', '2026-01-01T00:00:00.000Z'],
      ['2024-02-29', '2024-02-29T00:00:00.000Z'],
      ['2026-01-01T09:30Z', '2026-01-01T09:30:00.000Z'],
      ['2026-01-01T09:30:15Z', '2026-01-01T09:30:15.000Z'],
      ['2026-01-01T09:30:15.5Z', '2026-01-01T09:30:15.500Z'],
      ['2026-01-01T09:30:15.123456789Z', '2026-01-01T09:30:15.123Z'],
      ['2026-01-01T09:30:15+02:00', '2026-01-01T07:30:15.000Z'],
      ['2026-01-01T01:00-05:30', '2026-01-01T06:30:00.000Z'],
      ['0001-01-01', '0001-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ])('%s is accepted and means %s', async (value, instant) => {
      // The same jobs, whichever notation of the instant is used.
      const ours = await get(`/api/v1/jobs?from=${encodeURIComponent(value)}`).expect(200);
      const utc = await get(`/api/v1/jobs?from=${encodeURIComponent(instant)}`).expect(200);
      expect(ours.body.total).toBe(utc.body.total);
      await get(`/api/v1/jobs?to=${encodeURIComponent(value)}`).expect(200);
    });

    it('an offset moves the instant: a job is inside or outside accordingly', async () => {
      const id = await app.createJob(acme);
      const created = new Date((await app.row(id)).createdAt.getTime() + 1000);
      // The same instant written in UTC+05:00: just after the job, so it is excluded.
      const local = new Date(created.getTime() + 5 * 3600_000).toISOString().slice(0, 19);
      const after = await get(`/api/v1/jobs?from=${encodeURIComponent(`${local}+05:00`)}`);
      expect(after.body.items.map((j: { id: string }) => j.id)).not.toContain(id);
      const before = await get(`/api/v1/jobs?to=${encodeURIComponent(`${local}+05:00`)}`);
      expect(before.body.items.map((j: { id: string }) => j.id)).toContain(id);
    });
  });

  describe('6. deep JSON: a bounded depth, checked before any mapping', () => {
    it('a 10,000-deep body (about 50 KB, under the body limit) on cancel: 400', async () => {
      const deep = nested(10_000);
      expect(deep.length).toBeLessThan(100 * 1024);
      const body = expectProblem(await cancel(job, deep), 400);
      expect(body.detail).toMatch(/nested deeper than 32 levels/);
    });

    it('a 10,000-deep array body: 400', async () => {
      const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
      expectProblem(await cancel(job, deep), 400);
    });

    it('on a route without a body, and on one outside /api/v1: 400', async () => {
      const res = await app.http
        .post(`/api/v1/jobs/${job}/retry`)
        .set(auth())
        .set('Content-Type', 'application/json')
        .send(nested(10_000));
      expectProblem(res, 400);
      const health = await app.http
        .post('/health/live')
        .set('Content-Type', 'application/json')
        .send(nested(5_000));
      expectProblem(health, 400);
    });

    it('32 levels are read (a test job script), 33 are not', async () => {
      // The body is level 1, script level 2: 30 more levels of childScript make 32.
      const script = (levels: number): object =>
        levels === 0 ? {} : { childScript: script(levels - 1) };
      const ok = await app.http
        .post('/api/v1/test-jobs')
        .set(auth())
        .send({ script: script(30) });
      expect(ok.status).toBe(202);
      const deep = await app.http
        .post('/api/v1/test-jobs')
        .set(auth())
        .send({ script: script(31) });
      expect(expectProblem(deep, 400).detail).toMatch(/nested deeper than 32 levels/);
    });
  });

  describe('7. every error answer is problem+json, whatever the path', () => {
    it.each([
      ['GET', '//metrics', 404],
      ['GET', '/metrics;x', 404],
      ['GET', '/admin/queues%2f', 404],
      ['GET', '/nothing/here', 404],
      ['GET', '/api', 404],
      ['GET', '/api/v2/jobs', 404],
      ['GET', '/health', 404],
      ['GET', '/health/live/x', 404],
      ['GET', '/%E0%A4%A', 404],
      ['GET', '/health/%E0%A4%A', 404],
      ['GET', '/api/v1/jobs/%E0%A4%A', 400],
      ['GET', '/api/v1/uploads/%FF/errors', 400],
      ['DELETE', '/metrics', 404],
      ['PUT', '/health/live', 404],
      ['POST', '/api/docs-json', 404],
      ['PATCH', '/api/v1/jobs', 404],
    ])('%s %s: %i', async (method, path, status) => {
      const res = await raw(app.url, method, path);
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = JSON.parse(res.text) as Problem;
      expect(body.status).toBe(status);
      expect(res.text).not.toMatch(/<html|\bat .+\.[jt]s:\d+/i);
    });

    it('an authenticated method miss under /api/v1: 404 problem+json', async () => {
      const res = await raw(app.url, 'DELETE', `/api/v1/jobs/${job}`, auth());
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('a malformed JSON body outside /api/v1: 400 problem+json', async () => {
      const res = await raw(
        app.url,
        'POST',
        '/metrics',
        { 'Content-Type': 'application/json' },
        '{x',
      );
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('a URL or a token over the 16 KB header limit: 431 problem+json', async () => {
      const url = await raw(app.url, 'GET', `/api/v1/jobs?q=${'a'.repeat(20_000)}`, auth());
      expect(url.status).toBe(431);
      expect(url.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(url.text)).toMatchObject({ status: 431 });
      const token = await app.token({ tenant: 'acme', sub: 'x'.repeat(20_000) });
      const huge = await raw(app.url, 'GET', '/api/v1/jobs', auth(token));
      expect(huge.status).toBe(431);
      const head = await raw(app.url, 'HEAD', `/metrics?${'a'.repeat(20_000)}`);
      expect([head.status, head.text]).toEqual([431, '']);
    });

    it('a malformed request line: 400 problem+json', async () => {
      const res = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(new URL(app.url).port), '127.0.0.1', () =>
          socket.end('GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
        );
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(res).toMatch(/^HTTP\/1\.1 400 /);
      expect(res).toMatch(/Content-Type: application\/problem\+json/);
    });

    it('a HEAD of an unknown path: 404 without a body', async () => {
      const res = await raw(app.url, 'HEAD', '//metrics');
      expect(res.status).toBe(404);
      expect(res.text).toBe('');
    });
  });

  describe('8. __proto__, constructor and inherited names are unknown fields like any other', () => {
    it.each(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf'])(
      'query key %s: 400 naming it',
      async (key) => {
        for (const path of ['/api/v1/jobs', '/api/v1/jobs/stats', '/api/v1/uploads']) {
          const body = expectProblem(await get(`${path}?${key}=x`), 400);
          expect(fields(body)).toEqual([key]);
        }
        const upload = await get(`/api/v1/uploads/${job}/errors?${key}[a]=1&limit=5`);
        expect(upload.status).toBe(400);
      },
    );

    it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty'])(
      'JSON body key %s (top level and nested): 400 naming it',
      async (key) => {
        const top = expectProblem(await cancel(job, `{"${key}":{"reason":"x"}}`), 400);
        expect(fields(top)).toEqual([key]);
        const inner = await app.http
          .post('/api/v1/test-jobs')
          .set(auth())
          .set('Content-Type', 'application/json')
          .send(`{"script":{"${key}":{"noop":true}}}`);
        expect(fields(expectProblem(inner, 400))).toEqual([`script.${key}`]);
      },
    );

    it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])(
      'multipart field %s: 400 naming it, as any unknown field',
      async (name) => {
        const res = await postMultipart(app, acme, [
          ...fieldParts({ dataset: 'transactions', mode: 'partial', [name]: 'x' }),
          {
            disposition: 'name="file"; filename="a.csv"',
            body: transactionsCsv(2),
            contentType: 'text/csv',
          },
        ]);
        const body = expectProblem(res, 400);
        expect(fields(body)).toEqual([name]);
        expect(body.errors![0].message).toBe(`property ${name} should not exist`);
      },
    );
  });
});
