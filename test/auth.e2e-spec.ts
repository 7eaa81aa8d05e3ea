import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { JobStatus } from '../src/common/tracking/job-status';
import { DEV_JWT_SECRET } from '../src/config/env';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('authentication, tenant scope and problem+json errors', () => {
  const env = isolatedEnv();
  let t: TestApp;
  let acme: string;
  let globex: string;
  let admin: string;
  let acmeJob: string;

  beforeAll(async () => {
    t = await startTestApp(env);
    acme = await t.token({ tenant: 'acme' });
    globex = await t.token({ tenant: 'globex', sub: 'eve' });
    admin = await t.token({ tenant: null, sub: 'ops', roles: ['admin'] });
    acmeJob = (
      await t.http
        .post('/api/v1/test-jobs')
        .set('Authorization', `Bearer ${acme}`)
        .send({})
        .expect(202)
    ).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  const expectProblem = (
    res: { status: number; headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
  ) => {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      status,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/node_modules|\.ts:\d+|at \w+ \(/);
  };
  const getAs = (bearer: string | undefined, id = acmeJob) => {
    const req = t.http.get(`/api/v1/jobs/${id}`);
    return bearer === undefined ? req : req.set('Authorization', `Bearer ${bearer}`);
  };

  it('answers 401 problem+json to a missing, malformed, forged, unsigned or expired token', async () => {
    const forged = await new SignJWT({ tenant: 'acme', roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-server-secret-at-all!!'));
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'm', tenant: 'acme', roles: ['admin'], exp: 9999999999 })}.`;
    const expired = await new SignJWT({ tenant: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(DEV_JWT_SECRET));
    const noTenant = await t.token({ tenant: null, roles: [] });
    const cases: [string | undefined, RegExp][] = [
      [undefined, /bearer token is required/],
      ['not-a-jwt', /malformed/],
      [forged, /signature/],
      [unsigned, /algorithm|malformed/],
      [expired, /expired/],
      [noTenant, /tenant/],
    ];
    for (const [token, detail] of cases) {
      const res = await getAs(token);
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.detail).toMatch(detail);
    }
  });

  it("answers 404, never 403, for another tenant's job, whatever the action", async () => {
    expectProblem(await getAs(globex), 404);
    expectProblem(
      await t.http
        .post(`/api/v1/jobs/${acmeJob}/cancel`)
        .set('Authorization', `Bearer ${globex}`)
        .send({}),
      404,
    );
    expectProblem(
      await t.http.post(`/api/v1/jobs/${acmeJob}/retry`).set('Authorization', `Bearer ${globex}`),
      404,
    );
    expectProblem(
      await t.http.get(`/api/v1/test-jobs/${acmeJob}`).set('Authorization', `Bearer ${globex}`),
      404,
    );
    expect((await getAs(acme)).status).toBe(200);
    expect((await getAs(admin)).status).toBe(200);
    expectProblem(await getAs(acme, 'not-a-uuid'), 404);
    expectProblem(await getAs(acme, '018f0000-0000-7000-8000-000000000000'), 404);
  });

  it('keeps system jobs (no tenant) to admins; starting one needs the admin role (403)', async () => {
    expectProblem(
      await t.http.post('/api/v1/test-jobs/system').set('Authorization', `Bearer ${acme}`).send({}),
      403,
    );
    const res = await t.http
      .post('/api/v1/test-jobs/system')
      .set('Authorization', `Bearer ${admin}`)
      .send({})
      .expect(202);
    expect(res.body.tenantId).toBeNull();
    await waitFor(async () => (await t.row(res.body.id)).status === JobStatus.COMPLETED, {
      what: 'the system job to run',
    });
    expect((await getAs(admin, res.body.id)).status).toBe(200);
    expectProblem(await getAs(acme, res.body.id), 404);
  });

  it('names the bad fields of an invalid body, and rejects unknown fields and broken JSON', async () => {
    const bad = await t.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${acme}`)
      .send({ maxAttempts: 'three', priority: 'ASAP', surprise: 1 });
    expectProblem(bad, 400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['maxAttempts', 'priority', 'surprise']));
    const broken = await t.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${acme}`)
      .set('Content-Type', 'application/json')
      .send('{"script": ');
    expectProblem(broken, 400);
    const long = await t.http
      .post(`/api/v1/jobs/${acmeJob}/cancel`)
      .set('Authorization', `Bearer ${acme}`)
      .send({ reason: 'x'.repeat(501) });
    expectProblem(long, 400);
    expect(long.body.errors[0].field).toBe('reason');
  });

  it('accepts a token minted by the CLI command, and the command refuses a token without a tenant', async () => {
    const cli = (args: string[]) =>
      spawnSync(
        process.execPath,
        ['-r', '@swc-node/register', join(__dirname, '..', 'src', 'cli', 'mint-token.ts'), ...args],
        {
          env: { ...process.env, NODE_OPTIONS: '' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
    const minted = cli(['--tenant', 'acme', '--sub', 'carol']);
    expect(minted.status).toBe(0);
    const view = await getAs(minted.stdout.trim());
    expect(view.status).toBe(200);
    const refused = cli(['--sub', 'carol']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--tenant/);
  });

  it('verifies tokens with a configured public key, whatever algorithm a forged token claims', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyed = await startTestApp({ ...env, JWT_PUBLIC_KEY: pem, APP_ROLE: 'api' });
    try {
      const signed = (alg: string, key: Parameters<SignJWT['sign']>[0]) =>
        new SignJWT({ tenant: 'acme' })
          .setProtectedHeader({ alg })
          .setSubject('alice')
          .setExpirationTime('1h')
          .sign(key);
      const good = await signed('ES256', privateKey);
      const hmac = await signed('HS256', new TextEncoder().encode(pem)); // the classic key-confusion forgery
      const job = (k: string) =>
        keyed.http.get(`/api/v1/jobs/${acmeJob}`).set('Authorization', `Bearer ${k}`);
      expect((await job(good)).status).toBe(200);
      expect((await job(hmac)).status).toBe(401);
      expect((await job(acme)).status).toBe(401); // an HS256 token from the shared secret no longer works
      expect((await job(good)).status).toBe(200); // and nothing sticks after a refused token
    } finally {
      await keyed.close();
    }
  });

  it('checks issuer and audience when configured', async () => {
    const strict = await startTestApp({
      ...env,
      JWT_ISSUER: 'https://idp.example',
      JWT_AUDIENCE: 'jobtrack',
      APP_ROLE: 'api',
    });
    try {
      const job = (k: string) =>
        strict.http.get(`/api/v1/jobs/${acmeJob}`).set('Authorization', `Bearer ${k}`);
      expect((await job(await strict.token({ tenant: 'acme' }))).status).toBe(200); // minted with iss and aud
      const other = await new SignJWT({ tenant: 'acme' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setIssuer('https://idp.example')
        .setAudience('another-service')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(DEV_JWT_SECRET));
      const res = await job(other);
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/aud/);
      expect((await job(acme)).status).toBe(401); // no iss, no aud
    } finally {
      await strict.close();
    }
  });

  it('answers unknown routes with a 404 problem and serves the probes without a token', async () => {
    expectProblem(
      await t.http.get('/api/v1/nothing-here').set('Authorization', `Bearer ${acme}`),
      404,
    );
    await t.http.get('/health/live').expect(200);
    await t.http.get('/health/ready').expect(200);
  });
});
