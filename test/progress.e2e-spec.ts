import { io, Socket } from 'socket.io-client';
import type { ProgressEvent } from '../src/common/progress/progress-event';
import { JobStatus } from '../src/common/tracking/job-status';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { MaintenanceService } from '../src/modules/maintenance/maintenance.service';
import { ChildApp } from './utils/child-app';
import { cleanupEnv, isolatedEnv } from './utils/test-env';
import { startTestApp, TestApp } from './utils/test-app';
import { waitFor } from './utils/wait-for';

type Ack = { ok: boolean; job?: ProgressEvent; error?: string };

/** A browser-like client: records every event it receives, in order. */
class Client {
  readonly events: { name: string; payload: ProgressEvent }[] = [];
  constructor(readonly socket: Socket) {
    socket.onAny((name: string, payload: ProgressEvent) => this.events.push({ name, payload }));
  }
  static async connect(url: string, token: string | undefined): Promise<Client> {
    const socket = io(`${url}/progress`, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return new Client(socket);
  }
  emit(event: string, body: object): Promise<Ack> {
    return this.socket.timeout(5_000).emitWithAck(event, body);
  }
  of(id: string, prefix = 'job.') {
    return this.events.filter((e) => e.payload?.id === id && e.name.startsWith(prefix));
  }
}

describe('live progress over Socket.IO (API and worker in separate processes)', () => {
  const env = isolatedEnv({ APP_ROLE: 'api', PROGRESS_EMIT_INTERVAL_MS: '50' });
  let api: TestApp;
  let worker: ChildApp;
  const clients: Client[] = [];
  const connect = async (token?: string) => {
    const client = await Client.connect(api.url, token);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    api = await startTestApp(env, { eventAlias: 'test' });
    worker = await ChildApp.start({ ...env, APP_ROLE: 'worker' }, { eventAlias: 'test' });
  });
  afterAll(async () => {
    clients.forEach((c) => c.socket.disconnect());
    await worker?.stop();
    await api?.close();
    await cleanupEnv(env);
  });

  it('refuses a missing or bad token with a clear error', async () => {
    await expect(Client.connect(api.url, undefined)).rejects.toThrow(
      /unauthorized: a bearer token is required/,
    );
    await expect(Client.connect(api.url, 'not-a-jwt')).rejects.toThrow(
      /unauthorized: the token is malformed/,
    );
  });

  it('streams monotonic progress and exactly one terminal event, under both names', async () => {
    const acme = await connect(await api.token({ tenant: 'acme' }));
    const token = await api.token({ tenant: 'acme' });
    const id = await api.createJob(token, { script: { steps: 40, stepMs: 10 } });
    const ack = await acme.emit('subscribe', { jobId: id });
    expect(ack.ok).toBe(true);
    expect(ack.job).toMatchObject({ id, type: 'test' });

    await waitFor(() => acme.of(id).some((e) => e.name === 'job.completed'), {
      what: 'job.completed',
    });
    await api.waitForStatus(id, JobStatus.COMPLETED);
    const progress = acme
      .of(id)
      .filter((e) => e.name === 'job.progress')
      .map((e) => e.payload.progress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(40); // a 40-step burst is coalesced
    expect([...progress].sort((a, b) => a - b)).toEqual(progress); // monotonic
    const terminal = acme.of(id).filter((e) => !e.name.endsWith('.progress'));
    expect(terminal.map((e) => e.name)).toEqual(['job.completed']);
    expect(terminal[0].payload).toMatchObject({
      id,
      type: 'test',
      status: 'COMPLETED',
      progress: 100,
    });
    expect(acme.events.at(-1)?.name).toMatch(/completed$/); // the end comes last
    expect(acme.of(id, 'test.').map((e) => e.name)).toEqual(
      expect.arrayContaining(['test.progress', 'test.completed']),
    );
  });

  it('gives a late subscriber the current state at once', async () => {
    const token = await api.token({ tenant: 'acme' });
    const res = await api.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(202);
    await api.waitForStatus(res.body.id, JobStatus.COMPLETED);
    const late = await connect(token);
    const ack = await late.emit('subscribe', { jobId: res.body.id });
    expect(ack).toEqual({
      ok: true,
      job: expect.objectContaining({ id: res.body.id, status: 'COMPLETED', progress: 100 }),
    });
  });

  it("shows nothing of a tenant's job to another tenant", async () => {
    const spy = await connect(await api.token({ tenant: 'globex', sub: 'eve' }));
    const owner = await connect(await api.token({ tenant: 'acme' }));
    const token = await api.token({ tenant: 'acme' });
    const res = await api.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({ script: { steps: 5, stepMs: 20 } })
      .expect(202);
    expect(await spy.emit('subscribe', { jobId: res.body.id })).toEqual({
      ok: false,
      error: 'job not found',
    });
    expect(await spy.emit('subscribe', { all: true })).toEqual({
      ok: false,
      error: 'only admins may follow every job',
    });
    // The owner's tenant room gets the events without subscribing; the spy gets none.
    await waitFor(() => owner.of(res.body.id).some((e) => e.name === 'job.completed'), {
      what: 'the owner to see the end',
    });
    expect(spy.of(res.body.id)).toEqual([]);
  });

  it("delivers no event of another tenant's running job while refused subscribes are in flight", async () => {
    const spy = await connect(await api.token({ tenant: 'globex', sub: 'eve' }));
    const owner = await connect(await api.token({ tenant: 'acme' }));
    const token = await api.token({ tenant: 'acme' });
    const id = await api.createJob(token, { script: { steps: 80, stepMs: 15 } });
    await waitFor(() => owner.of(id).some((e) => e.name === 'job.progress'), {
      what: 'the job to report progress',
    });
    // Keep many subscribes in flight for the whole run: each one sits in the lookup while
    // progress events are emitted to the job's room.
    let refused = 0;
    while (!owner.of(id).some((e) => e.name === 'job.completed')) {
      const acks = await Promise.all(
        Array.from({ length: 25 }, () => spy.emit('subscribe', { jobId: id })),
      );
      for (const ack of acks) expect(ack).toEqual({ ok: false, error: 'job not found' });
      refused += acks.length;
    }
    expect(refused).toBeGreaterThan(0);
    expect(owner.of(id).filter((e) => e.name === 'job.progress').length).toBeGreaterThan(0);
    expect(spy.events).toEqual([]);
  });

  it('tells subscribers when orphan rescue fails a job no worker will report', async () => {
    await worker.stop();
    const token = await api.token({ tenant: 'acme' });
    const watcher = await connect(token);
    const id = await api.createJob(token, {});
    await watcher.emit('subscribe', { jobId: id });
    // Its last allowed attempt died with the worker, and Redis lost the queue job.
    await api.orm.em
      .fork()
      .getConnection()
      .execute("UPDATE test_jobs SET status = 'PROCESSING', attempts = max_attempts WHERE id = ?", [
        id,
      ]);
    await api.app.get(JobTypeRegistry).get('test')!.queue.remove(id);
    expect(await api.app.get(MaintenanceService).rescueOrphans()).toEqual({
      requeued: 0,
      failed: 1,
    });
    await waitFor(() => watcher.of(id).some((e) => e.name === 'job.failed'), {
      what: 'job.failed',
    });
    expect(watcher.of(id).map((e) => e.name)).toEqual(['job.failed']);
    expect(watcher.of(id)[0].payload.error).toMatch(/orphaned with no attempts left/);
  });

  it('tells subscribers when a queued job is cancelled', async () => {
    // No worker takes it: stop the worker first.
    await worker.stop();
    const token = await api.token({ tenant: 'acme' });
    const watcher = await connect(token);
    const res = await api.http
      .post('/api/v1/test-jobs')
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(202);
    await watcher.emit('subscribe', { jobId: res.body.id });
    await api.http
      .post(`/api/v1/jobs/${res.body.id}/cancel`)
      .set('Authorization', `Bearer ${token}`)
      .send({})
      .expect(200);
    await waitFor(() => watcher.of(res.body.id).some((e) => e.name === 'job.cancelled'), {
      what: 'job.cancelled',
    });
    expect(watcher.of(res.body.id).map((e) => e.name)).toEqual(['job.cancelled']);
  });
});
