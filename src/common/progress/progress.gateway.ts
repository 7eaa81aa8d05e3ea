import { Inject, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import type { Namespace, Socket } from 'socket.io';
import { AppConfig } from '../../config/app-config';
import { isAdmin, Principal, SYSTEM_PRINCIPAL } from '../auth/principal';
import { TokenService } from '../auth/token.service';
import { DomainError } from '../http/domain-error';
import { ROOT_LOGGER } from '../logging/root-logger';
import { redisOptionsFromUrl } from '../redis/redis-options';
import { CancelBus } from '../tracking/cancel-bus';
import { QueueProgress } from '../tracking/job-context';
import { JobOperations } from '../tracking/job-operations';
import { JobStatus } from '../tracking/job-status';
import { RegisteredJobType } from '../tracking/job-type.registry';
import { Throttle } from '../tracking/throttle';
import { TrackedJob } from '../tracking/tracked-job.entity';
import { withTimeout } from '../util/with-timeout';
import { eventFromRow, ProgressEvent, TERMINAL_EVENT } from './progress-event';

type Ack = { ok: true; job?: ProgressEvent } | { ok: false; error: string };
const ALL = 'all';
/** Terminal events already sent are remembered this long (one terminal event per attempt). */
const ENDED_MEMORY_MS = 10 * 60_000;
/** A job whose progress stopped this long ago without an end is forgotten. */
const IDLE_BURST_MS = 5 * 60_000;
/** Jobs one socket may follow one by one (its tenant's jobs arrive anyway). */
const MAX_JOB_ROOMS = 100;

/**
 * Socket.IO namespace `/progress`. Fed by BullMQ QueueEvents (progress, completed,
 * failed, removed) and the cancel channel, so every API replica relays what any worker
 * reports, with no Socket.IO adapter. The row in PostgreSQL decides terminal events.
 */
@WebSocketGateway({ namespace: '/progress', cors: { origin: true, credentials: true } })
export class ProgressGateway
  implements OnGatewayInit, OnGatewayConnection, OnApplicationBootstrap, OnApplicationShutdown
{
  @WebSocketServer() private readonly server!: Namespace;
  private readonly queueEvents: QueueEvents[] = [];
  private readonly bursts = new Map<string, { throttle: Throttle<ProgressEvent>; last: number }>();
  /** Last terminal event sent per job, in insertion order (so the oldest are evicted first). */
  private readonly ended = new Map<string, { attempt: number; at: number }>();
  private sweeper?: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    private readonly tokens: TokenService,
    private readonly ops: JobOperations,
    private readonly cancelBus: CancelBus,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: ProgressGateway.name });
  }

  /** The handshake must carry a valid bearer token in `auth.token` (or an Authorization header). */
  afterInit(server: Namespace): void {
    server.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown };
      const header = /^Bearer\s+(\S+)$/i.exec(socket.handshake.headers.authorization ?? '')?.[1];
      const token = typeof auth?.token === 'string' ? auth.token : header;
      if (!token) return next(new Error('unauthorized: a bearer token is required in auth.token'));
      this.tokens.verify(token).then(
        (principal) => {
          socket.data.principal = principal;
          next();
        },
        (err: Error) => next(new Error(`unauthorized: ${err.message}`)),
      );
    });
  }

  handleConnection(socket: Socket): void {
    const principal = socket.data.principal as Principal;
    if (principal.tenant) void socket.join(`tenant:${principal.tenant}`);
    if (principal.expiresAt) {
      // The token was checked once, at the handshake: the socket ends with it.
      const expiry = setTimeout(
        () => socket.disconnect(true),
        Math.max(0, principal.expiresAt * 1000 - Date.now()),
      );
      expiry.unref();
      socket.once('disconnect', () => clearTimeout(expiry));
    }
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const principal = socket.data.principal as Principal;
    const { jobId, all } = (body ?? {}) as { jobId?: unknown; all?: unknown };
    if (all === true) {
      if (!isAdmin(principal)) return { ok: false, error: 'only admins may follow every job' };
      await socket.join(ALL);
      return { ok: true };
    }
    if (typeof jobId !== 'string') return { ok: false, error: 'jobId (string) is required' };
    const room = `job:${jobId}`;
    const rooms = [...socket.rooms].filter((r) => r.startsWith('job:'));
    if (!rooms.includes(room) && rooms.length >= MAX_JOB_ROOMS) {
      return {
        ok: false,
        error: `a connection may follow at most ${MAX_JOB_ROOMS} jobs; unsubscribe first`,
      };
    }
    try {
      // Authorise before joining: a socket never sits in the room of a job it may not see,
      // not even while the lookup runs (events would reach it meanwhile).
      await this.ops.find(jobId, principal);
      // Then join, then read the snapshot: an end that happens meanwhile reaches this socket
      // either as an event (joined already) or in the snapshot (read after the join).
      await socket.join(room);
      const { type, job } = await this.ops.find(jobId, principal);
      return { ok: true, job: eventFromRow(type.definition.type, job) };
    } catch (err) {
      await socket.leave(room);
      if (err instanceof DomainError && err.code === 'NOT_FOUND')
        return { ok: false, error: 'job not found' };
      this.logger.warn({ err, jobId }, 'subscribe failed');
      return { ok: false, error: 'subscribe failed; try again' };
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<Ack> {
    const { jobId, all } = (body ?? {}) as { jobId?: unknown; all?: unknown };
    if (all === true) await socket.leave(ALL);
    else if (typeof jobId === 'string') await socket.leave(`job:${jobId}`);
    else return { ok: false, error: 'jobId (string) is required' };
    return { ok: true };
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsApi) return;
    const { env } = this.config;
    for (const type of this.ops.registry.all()) {
      const events = new QueueEvents(type.definition.queue, {
        connection: redisOptionsFromUrl(env.REDIS_URL),
        prefix: env.QUEUE_PREFIX,
      });
      events.on('error', (err) =>
        this.logger.warn(
          { err: { message: err.message }, queue: type.definition.queue },
          'queue events error',
        ),
      );
      events.on('progress', ({ data }) => this.onProgress(type, data as unknown as QueueProgress));
      for (const name of ['completed', 'failed', 'removed'] as const) {
        events.on(name, ({ jobId }: { jobId: string }) => void this.onEnded(type, jobId));
      }
      this.queueEvents.push(events);
    }
    this.cancelBus.onAnyMessage(({ jobId }) => void this.onAnnounced(jobId));
    this.sweeper = setInterval(() => this.sweepIdleBursts(), 60_000);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    // QueueEvents.close() waits forever while Redis is unreachable.
    await Promise.all(
      this.queueEvents.map((e) =>
        withTimeout(
          e.close().catch(() => undefined),
          5_000,
          () => undefined,
        ),
      ),
    );
  }

  private onProgress(type: RegisteredJobType, data: QueueProgress): void {
    if (!data || typeof data.id !== 'string') return;
    // Nobody connected to this replica: nothing to send (and ends are not read then, so a
    // late progress of an ended attempt could not be told from a live one).
    if (this.server.sockets.size === 0) return this.dropBurst(data.id);
    const end = this.ended.get(data.id);
    if (end && data.attempt <= end.attempt) return; // late progress of an attempt that has ended
    this.ended.delete(data.id); // a new attempt (a retry) reports again
    const event: ProgressEvent = {
      id: data.id,
      type: type.definition.type,
      status: JobStatus.PROCESSING,
      progress: data.progress,
      message: data.message,
      ...(data.counts ? { counts: data.counts } : {}),
    };
    let burst = this.bursts.get(data.id);
    if (!burst) {
      const throttle = new Throttle<ProgressEvent>(
        this.config.env.PROGRESS_EMIT_INTERVAL_MS,
        async (e) => this.emit(type, data.tenantId, 'progress', e),
      );
      burst = { throttle, last: 0 };
      this.bursts.set(data.id, burst);
    }
    burst.last = Date.now();
    void burst.throttle.push(event);
  }

  /** BullMQ says a queue job ended or left: the row says whether the job ended, and how. */
  private async onEnded(type: RegisteredJobType, jobId: string): Promise<void> {
    // Nobody connected to this replica: no one to tell, so no row to read (a busy worker in
    // the same process would pay one query per job). A client that subscribes later gets
    // the job's state in the subscribe acknowledgement.
    if (this.server.sockets.size === 0) return this.dropBurst(jobId);
    const job = await this.readRow(type, jobId);
    if (job) await this.emitEnd(type, job);
    else this.dropBurst(jobId); // a stale delivery or an unknown id: nothing more will come from it
  }

  /** A cancel, or an end no worker reported (orphan rescue). */
  private async onAnnounced(jobId: string): Promise<void> {
    const found = await this.ops.find(jobId, SYSTEM_PRINCIPAL).catch(() => undefined);
    if (found) await this.emitEnd(found.type, found.job);
  }

  private async readRow(type: RegisteredJobType, id: string): Promise<TrackedJob | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ops.store.em().findOne(type.definition.entity, { id } as never);
      } catch (err) {
        if (attempt === 3) {
          this.logger.warn({ err, jobId: id }, 'could not read the job to announce its end');
          return null;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private async emitEnd(type: RegisteredJobType, job: TrackedJob): Promise<void> {
    const name = TERMINAL_EVENT[job.status as JobStatus];
    if (!name) return;
    // One end per attempt: BullMQ's event and the cancel channel may both report it.
    if ((this.ended.get(job.id)?.attempt ?? -1) >= job.attempts) return;
    this.remember(job.id, job.attempts);
    const burst = this.bursts.get(job.id);
    this.bursts.delete(job.id);
    await burst?.throttle.flush(); // the last progress goes out before the end
    this.emit(type, job.tenantId, name, eventFromRow(type.definition.type, job));
  }

  private emit(
    type: RegisteredJobType,
    tenantId: string | null,
    name: string,
    event: ProgressEvent,
  ): void {
    const rooms = [`job:${event.id}`, ALL, ...(tenantId ? [`tenant:${tenantId}`] : [])];
    this.server.to(rooms).emit(`job.${name}`, event);
    const alias = type.definition.eventAlias;
    if (alias) this.server.to(rooms).emit(`${alias}.${name}`, event);
  }

  private remember(id: string, attempt: number): void {
    const now = Date.now();
    this.ended.delete(id); // re-inserted at the end: the map stays in time order
    this.ended.set(id, { attempt, at: now });
    for (const [key, end] of this.ended) {
      if (now - end.at <= ENDED_MEMORY_MS && this.ended.size <= 100_000) break;
      this.ended.delete(key);
    }
  }

  private dropBurst(id: string): void {
    this.bursts.get(id)?.throttle.cancel();
    this.bursts.delete(id);
  }

  private sweepIdleBursts(): void {
    const now = Date.now();
    for (const [id, burst] of this.bursts) if (now - burst.last > IDLE_BURST_MS) this.dropBurst(id);
  }
}
