import SwaggerParser from '@apidevtools/swagger-parser';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobStatus } from '../src/common/tracking/job-status';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { PrivateRedis } from './utils/private-redis';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';

const BOARD_USER = 'operator';
const BOARD_PASSWORD = 'correct horse battery staple';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Parses the Prometheus text format into { 'name{labels}': value }. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

describe('operator surfaces', () => {
  const env = isolatedEnv({ BULL_BOARD_USER: BOARD_USER, BULL_BOARD_PASSWORD: BOARD_PASSWORD });
  let t: TestApp;
  let admin: string;
  let tenant: string;

  beforeAll(async () => {
    t = await startTestApp(env);
    admin = await t.token({ sub: 'ops', tenant: null, roles: ['admin'] });
    tenant = await t.token({ tenant: 'acme' });
  });
  afterAll(async () => {
    await t?.close();
    await cleanupEnv(env);
  });

  describe('Bull Board at /admin/queues', () => {
    it('answers 401 without credentials, for the page, its API and its static assets', async () => {
      for (const path of [
        '/admin/queues',
        '/admin/queues/api/queues',
        '/admin/queues/static/js/main.js',
      ]) {
        const res = await t.http.get(path);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Basic/);
        expect(res.text).not.toMatch(/test-jobs/);
      }
      expect(
        (
          await t.http
            .get('/admin/queues')
            .set('Authorization', basic(BOARD_USER, 'wrong password!!'))
        ).status,
      ).toBe(401);
      expect(
        (await t.http.get('/admin/queues').set('Authorization', `Bearer ${tenant}`)).status,
      ).toBe(403);
      expect(
        (await t.http.get('/admin/queues').set('Authorization', 'Bearer forged.token.value'))
          .status,
      ).toBe(401);
    });

    it('opens with an admin token and with the basic credentials, and lists every queue', async () => {
      await t.http.get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200);
      const page = await t.http
        .get('/admin/queues')
        .set('Authorization', basic(BOARD_USER, BOARD_PASSWORD))
        .expect(200);
      expect(page.text).toMatch(/<html/i);
      const api = await t.http
        .get('/admin/queues/api/queues')
        .set('Authorization', `Bearer ${admin}`)
        .expect(200);
      expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(queuesOf(t));
    });
  });

  describe('/metrics', () => {
    const scrape = async () => {
      const res = await t.http.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      return res.text;
    };

    it('exposes job, queue and process metrics that change when a job runs', async () => {
      const before = parseMetrics(await scrape());
      const owner = { sub: 'tester', tenant: 'acme', roles: [] };
      const { job: ok } = await t.service.createAndEnqueue({}, owner);
      const { job: bad } = await t.service.createAndEnqueue(
        { script: { nonRetryable: true } },
        owner,
      );
      await t.waitForStatus(ok.id, JobStatus.COMPLETED);
      await t.waitForStatus(bad.id, JobStatus.FAILED);
      const after = parseMetrics(await scrape());
      const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
      expect(delta('jobtrack_jobs_created_total{type="test"}')).toBe(2);
      expect(delta('jobtrack_jobs_completed_total{type="test"}')).toBe(1);
      expect(delta('jobtrack_jobs_failed_total{type="test"}')).toBe(1);
      expect(
        delta('jobtrack_job_attempt_duration_seconds_count{type="test",outcome="completed"}'),
      ).toBe(1);
      expect(after.get('jobtrack_queue_jobs{queue="test-jobs",state="waiting"}')).toBe(0);
      expect(after.get('jobtrack_outbox_pending_jobs{type="test"}')).toBe(0);
      expect(after.has('process_cpu_user_seconds_total')).toBe(true);
    });

    it('passes promtool check metrics when promtool is installed', async () => {
      const promtool = spawnSync('promtool', ['--version']);
      if (promtool.error) {
        console.warn('promtool not installed: naming conventions not checked');
        return;
      }
      const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt');
      writeFileSync(file, await scrape());
      const check = spawnSync('sh', ['-c', `promtool check metrics < "${file}"`], {
        encoding: 'utf8',
      });
      expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
      expect(check.status).toBe(0);
    });
  });

  it('serves both on an API-only replica, and /metrics asks for METRICS_TOKEN when one is set', async () => {
    const metricsToken = 'scrape-token-0123456789';
    const api = await startTestApp({ ...env, APP_ROLE: 'api', METRICS_TOKEN: metricsToken });
    try {
      const queues = await api.http
        .get('/admin/queues/api/queues')
        .set('Authorization', `Bearer ${admin}`)
        .expect(200);
      expect(queues.body.queues.map((q: { name: string }) => q.name).sort()).toEqual(queuesOf(api));
      const refused = await api.http.get('/metrics').expect(401);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      await api.http
        .get('/metrics')
        .set('Authorization', 'Bearer wrong-token-0123456789')
        .expect(401);
      const scraped = await api.http
        .get('/metrics')
        .set('Authorization', `Bearer ${metricsToken}`)
        .expect(200);
      expect(scraped.text).toMatch(
        /^jobtrack_queue_jobs\{queue="test-jobs",state="waiting"\} \d+$/m,
      );
    } finally {
      await api.close();
    }
  });

  it('answers /metrics promptly while Redis hangs, and counts the failed read', async () => {
    const redis = await PrivateRedis.start();
    const frozen = await startTestApp({
      ...isolatedEnv({ REDIS_URL: redis.url }),
      DATABASE_URL: env.DATABASE_URL,
      APP_ROLE: 'api',
    });
    try {
      redis.pause();
      for (const scrape of [1, 2]) {
        const started = Date.now();
        const res = await frozen.http.get('/metrics').expect(200);
        expect(Date.now() - started).toBeLessThan(5_000);
        const samples = parseMetrics(res.text);
        expect([...samples.keys()].some((k) => k.startsWith('jobtrack_queue_jobs'))).toBe(false); // no stale depth
        expect(samples.get('jobtrack_outbox_pending_jobs{type="test"}')).toBe(0); // PostgreSQL still read
        // The failed reads of the first scrape (one per registered queue) are counted, and
        // show from the next one.
        if (scrape === 2)
          expect(samples.get('jobtrack_metrics_collect_errors_total{source="redis"}')).toBe(
            queuesOf(frozen).length,
          );
      }
    } finally {
      redis.resume();
      await frozen.close();
      await redis.stop();
    }
  });

  describe('OpenAPI', () => {
    it('is a valid document that lists every route of the app, with problem+json errors and the bearer scheme', async () => {
      const doc = (await t.http.get('/api/docs-json').expect(200)).body;
      await SwaggerParser.validate(structuredClone(doc));
      const documented = new Set<string>();
      for (const [path, ops] of Object.entries(
        doc.paths as Record<string, Record<string, unknown>>,
      )) {
        for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
      }
      const router = t.app.getHttpAdapter().getInstance().router as {
        stack: { route?: { path: string; methods: Record<string, boolean> } }[];
      };
      const served = new Set<string>();
      for (const layer of router.stack) {
        if (!layer.route) continue;
        // (`/metrics/` too: Nest registers a controller's empty path both ways.)
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}').replace(/(.)\/$/, '$1');
        // Not API operations: the document itself, the queue console (a mounted app, tested
        // above) and Nest's catch-all 404 handlers (registered for every method).
        const outside = ['/api/docs', '/admin/queues'].some((p) => path.startsWith(p));
        if (outside || Object.keys(layer.route.methods).length > 10) continue;
        for (const method of Object.keys(layer.route.methods))
          served.add(`${method.toUpperCase()} ${path}`);
      }
      expect([...documented].sort()).toEqual([...served].sort());
      // Every answer has its body typed (a client generated from the document types none as
      // `unknown`); every answer the tests receive is checked against it (openapi-validator.ts).
      const untyped: string[] = [];
      for (const [path, ops] of Object.entries(
        doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>,
      )) {
        for (const [method, op] of Object.entries(ops)) {
          for (const [status, response] of Object.entries(op.responses)) {
            if (status === '204') continue; // No Content: no body to type
            const content = (response as { content?: Record<string, { schema?: unknown }> })
              .content;
            if (!content || Object.values(content).some((m) => !m.schema))
              untyped.push(`${method.toUpperCase()} ${path} ${status}`);
          }
        }
      }
      expect(untyped).toEqual([]);
      const cancel = doc.paths['/api/v1/jobs/{id}/cancel'].post;
      expect(cancel.security).toEqual([{ bearer: [] }]);
      expect(cancel.responses['409'].content['application/problem+json']).toBeDefined();
      expect(cancel.responses['404'].content['application/problem+json']).toBeDefined();
    });
  });
});

/** Every registered type's queue (each is listed in Bull Board and read at scrape time). */
function queuesOf(app: TestApp): string[] {
  const queues = app.app
    .get(JobTypeRegistry)
    .all()
    .map((t) => t.definition.queue);
  expect(queues).toEqual(expect.arrayContaining(['test-jobs', 'uploads']));
  return queues.sort();
}
