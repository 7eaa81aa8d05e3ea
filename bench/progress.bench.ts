/**
 * Live progress: (1) latency from `ctx.progress` in a worker process to the client's
 * handler, through Redis, BullMQ QueueEvents and the API process's Socket.IO gateway,
 * p50/p99 over 10,000 events (coalescing off, so every event is measured); (2) fan-out
 * with 1,000 connected clients of one tenant: events/s delivered and the API process's
 * memory before and after the clients connect. API and worker are separate processes;
 * the clients run here.
 *
 * Baseline for (1), same run (shared machines drift by 3x from hour to hour, so the ratio
 * is the figure to compare): a bare Redis PUBLISH → SUBSCRIBE round trip on the same
 * Redis, ioredis PUBLISH on one connection and SUBSCRIBE on another, both here; as many
 * events as (1), one at a time (the next is published once the previous one arrived),
 * after 200 unmeasured ones; half just before (1) and half just after, to bracket (1) in
 * time. Printed: the baseline's percentiles and the ratio (1) / baseline at p50 and p99.
 * Under heavy load the ratio still moves (docs/benchmarks.md, 2026-12-03).
 *
 *   npm run bench:progress [-- events clients]
 */
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { io, Socket } from 'socket.io-client';
import { redisOptionsFromUrl } from '../src/common/redis/redis-options';
import { ChildApp } from '../test/utils/child-app';
import { startTestApp } from '../test/utils/test-app';
import { benchEnv, cleanupEnv, machine, percentile, runBench } from './bench-env';

interface Event {
  id: string;
  message: string | null;
}

/** The API process's resident and heap-used memory, in MiB, from its /metrics. */
async function memory(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mib = (name: string) =>
    (Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20).toFixed(0);
  return `RSS ${mib('process_resident_memory_bytes')} MiB, heap ${mib('nodejs_heap_size_used_bytes')} MiB`;
}

/** Bare Redis pub/sub: one message at a time, published here and received here. */
class PubSubRoundTrip {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private arrived: (() => void) | undefined;
  private sentAt = 0;
  private latency = 0;

  constructor(
    redisUrl: string,
    private readonly channel: string,
  ) {
    this.publisher = new Redis(redisOptionsFromUrl(redisUrl));
    this.subscriber = new Redis(redisOptionsFromUrl(redisUrl));
    this.subscriber.on('message', () => {
      this.latency = performance.now() - this.sentAt;
      this.arrived?.();
    });
  }

  async start(warmUp: number): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    await this.measure(warmUp, []);
  }

  /** `count` round trips, each from PUBLISH sent to message received, into `times`. */
  async measure(count: number, times: number[]): Promise<void> {
    for (let i = 0; i < count; i++) {
      const arrived = new Promise<void>((resolve) => (this.arrived = resolve));
      this.sentAt = performance.now();
      await this.publisher.publish(this.channel, String(i));
      await arrived;
      times.push(this.latency);
    }
  }

  close(): void {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(`${url}/progress`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function main() {
  const events = Number(process.argv[2] ?? 10_000);
  const clientCount = Number(process.argv[3] ?? 1_000);
  const env = benchEnv({ PROGRESS_EMIT_INTERVAL_MS: '0', PROGRESS_WRITE_INTERVAL_MS: '1000' });
  // This process only creates the schema and mints tokens; it serves nothing.
  const setup = await startTestApp({ ...env, APP_ROLE: 'api' });
  const token = await setup.token({ tenant: 'bench' });
  // Two API processes: one relays every event (latency, flood), one coalesces (the default).
  const api = await ChildApp.start({ ...env, APP_ROLE: 'api' });
  const coalescing = await ChildApp.start({
    ...env,
    APP_ROLE: 'api',
    PROGRESS_EMIT_INTERVAL_MS: '100',
  });
  const worker = await ChildApp.start({ ...env, APP_ROLE: 'worker' });
  const sockets: Socket[] = [];
  const bare = new PubSubRoundTrip(env.REDIS_URL, `${env.QUEUE_PREFIX}:baseline`);
  try {
    console.log(`machine: ${machine()}`);
    await bare.start(200);
    // 1. Latency, one client.
    const watcher = await connect(api.url, token);
    sockets.push(watcher);
    const latencies: number[] = [];
    const create = async (script: object) =>
      (
        (await (
          await fetch(`${api.url}/api/v1/test-jobs`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ script }),
          })
        ).json()) as { id: string }
      ).id;
    const latencyDone = new Promise<void>((resolve) => {
      watcher.on('job.progress', (e: Event) => {
        if (e.message)
          latencies.push(performance.timeOrigin + performance.now() - Number(e.message));
      });
      watcher.on('job.completed', () => resolve());
    });
    const baseline: number[] = [];
    await bare.measure(Math.ceil(events / 2), baseline);
    await create({ steps: events, stepMs: 0, stampProgress: true });
    await latencyDone;
    await bare.measure(Math.floor(events / 2), baseline);
    latencies.sort((a, b) => a - b);
    baseline.sort((a, b) => a - b);
    console.log(
      `latency ctx.progress → client: ${latencies.length} events, p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${latencies[latencies.length - 1].toFixed(2)} ms`,
    );
    console.log(
      `baseline: bare Redis PUBLISH → SUBSCRIBE round trip (ioredis, two connections): ${baseline.length} events one at a time, half before and half after the above, p50 ${percentile(baseline, 50).toFixed(2)} ms, p99 ${percentile(baseline, 99).toFixed(2)} ms, max ${baseline[baseline.length - 1].toFixed(2)} ms`,
    );
    console.log(
      `ratio ctx.progress → client / baseline: p50 ${(percentile(latencies, 50) / percentile(baseline, 50)).toFixed(2)}, p99 ${(percentile(latencies, 99) / percentile(baseline, 99)).toFixed(2)}`,
    );

    // 2. Fan-out to many clients of the tenant, on each API process.
    for (const [label, target, fanEvents] of [
      ['every event relayed (coalescing off)', api, 2_000],
      ['default coalescing (100 ms)', coalescing, 2_000],
    ] as const) {
      const idle = await memory(target.url);
      const clients: Socket[] = [];
      for (let i = 0; i < clientCount; i += 100) {
        clients.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(100, clientCount - i) }, () =>
              connect(target.url, token),
            ),
          )),
        );
      }
      sockets.push(...clients);
      const connected = await memory(target.url);
      let delivered = 0;
      const done = new Promise<void>((resolve) => {
        let ended = 0;
        for (const c of clients) {
          c.on('job.progress', () => delivered++);
          c.on('job.completed', () => ++ended === clientCount && resolve());
        }
      });
      const started = performance.now();
      await create({ steps: fanEvents, stepMs: 0 });
      await done;
      const seconds = (performance.now() - started) / 1000;
      const after = await memory(target.url);
      console.log(
        `fan-out, ${label}: ${clientCount} clients, a job reporting ${fanEvents} times in ${seconds.toFixed(2)} s`,
      );
      console.log(
        `  ${delivered} progress deliveries (${(delivered / clientCount).toFixed(0)} per client), ${Math.round(delivered / seconds)} deliveries/s; every client got the end`,
      );
      console.log(
        `  API process: idle ${idle}; ${clientCount} clients connected ${connected}; after the run ${after}`,
      );
      clients.forEach((c) => c.disconnect());
    }
  } finally {
    bare.close();
    sockets.forEach((s) => s.disconnect());
    await worker.stop();
    await api.stop();
    await coalescing.stop();
    await setup.close();
    await cleanupEnv(env);
  }
}

runBench(main);
