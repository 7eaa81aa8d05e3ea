import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ChildApp } from './utils/child-app';
import { freePort, PrivateRedis } from './utils/private-redis';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

describe('health probes', () => {
  const env = isolatedEnv();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  it('reports live, started and ready with each dependency', async () => {
    expect((await t.http.get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    await t.http.get('/health/startup').expect(200);
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'up' },
      migrations: { status: 'up' },
      shutdown: { status: 'up' },
    });
  });

  it('is not ready while Redis is unreachable, but stays live', async () => {
    const deadRedis = isolatedEnv({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      APP_ROLE: 'api',
    });
    const down = await startTestApp({ ...deadRedis, DATABASE_URL: env.DATABASE_URL });
    try {
      const ready = await down.http.get('/health/ready').expect(503);
      expect(ready.body.error.redis.status).toBe('down');
      expect(ready.body.info.database.status).toBe('up');
      await down.http.get('/health/live').expect(200);
    } finally {
      await down.close();
    }
  });

  it('reports loudly, at start-up, a Redis that may evict queued jobs', async () => {
    const lru = await PrivateRedis.start([
      '--maxmemory',
      '64mb',
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    const child = await ChildApp.start({ ...env, REDIS_URL: lru.url, APP_ROLE: 'api' });
    try {
      const warning = await waitFor(
        () =>
          child
            .logs()
            .find((l) => typeof l.msg === 'string' && l.msg.startsWith('REDIS MISCONFIGURED')),
        { what: 'the eviction-policy error' },
      );
      expect(warning).toMatchObject({ level: 'error', maxmemoryPolicy: 'allkeys-lru' });
    } finally {
      await child.stop();
      await lru.stop();
    }
  });

  it('serves an OpenAPI document with the bearer scheme and the routes', async () => {
    const doc = (await t.http.get('/api/docs-json').expect(200)).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/jobs/{id}',
        '/api/v1/jobs/{id}/cancel',
        '/api/v1/jobs/{id}/retry',
        '/health/ready',
      ]),
    );
    await t.http.get('/api/docs').expect(200);
  });

  it('refuses to start on bad configuration and names every bad variable', () => {
    const out = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, '..', 'src', 'main.ts')],
      {
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          PORT: 'eighty',
          APP_ROLE: 'both',
          NODE_ENV: 'production',
          JWT_SECRET: '',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/PORT/);
    expect(out.stderr).toMatch(/APP_ROLE/);
    expect(out.stderr).toMatch(
      /JWT_SECRET: the development default is refused when NODE_ENV=production/,
    );
  });
});
