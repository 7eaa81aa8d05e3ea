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
/** Terminal events already sent, remembered this long (one terminal event per job). */
const ENDED_MEMORY_MS = 10 * 60_000;

/**
 * Socket.IO namespace `/progress`. Fed by BullMQ QueueEvents (progress, completed,
 * failed) and the cancel channel, so every API replica relays what any worker reports,
 * with no Socket.IO adapter. The row in PostgreSQL decides terminal events.
 */
@WebSocketGateway({ namespace: '/progress', cors: { origin: true, credentials: true } })
export class ProgressGateway
  implements OnGatewayInit, OnGatewayConnection, OnApplicationBootstrap, OnApplicationShutdown
{
  @WebSocketServer() private readonly server!: Namespace;
  private readonly queueEvents: QueueEvents[] = [];
  private readonly bursts = new Map<string, Throttle<ProgressEvent>>();
  /** Last terminal event sent per job: its attempt number and when (one end per attempt). */
  private readonly ended = new Map<string, { attempt: number; at: number }>();
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
    try {
      const { type, job } = await this.ops.find(jobId, principal);
      await socket.join(`job:${job.id}`);
      return { ok: true, job: eventFromRow(type.definition.type, job) };
    } catch (err) {
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
      events.on('completed', ({ jobId }) => void this.onEnded(type, jobId));
      events.on('failed', ({ jobId }) => void this.onEnded(type, jobId));
      this.queueEvents.push(events);
    }
    this.cancelBus.onAnyCancel(({ jobId }) => void this.onCancelled(jobId));
  }

  async onApplicationShutdown(): Promise<void> {
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
      burst = new Throttle<ProgressEvent>(this.config.env.PROGRESS_EMIT_INTERVAL_MS, async (e) =>
        this.emit(type, data.tenantId, 'progress', e),
      );
      this.bursts.set(data.id, burst);
    }
    void burst.push(event);
  }

  /** BullMQ says a job ended: the row says how (a retry, a stale delivery and so on are not ends). */
  private async onEnded(type: RegisteredJobType, jobId: string): Promise<void> {
    const job = await this.ops.store
      .em()
      .findOne(type.definition.entity, { id: jobId } as never)
      .catch(() => null);
    if (job) await this.emitEnd(type, job);
  }

  private async onCancelled(jobId: string): Promise<void> {
    const found = await this.ops.find(jobId, SYSTEM_PRINCIPAL).catch(() => undefined);
    if (found) await this.emitEnd(found.type, found.job);
  }

  private async emitEnd(type: RegisteredJobType, job: TrackedJob): Promise<void> {
    const name = TERMINAL_EVENT[job.status as JobStatus];
    // One end per attempt: BullMQ's event and the cancel channel may both report it.
    if (!name || (this.ended.get(job.id)?.attempt ?? -1) >= job.attempts) return;
    this.remember(job.id, job.attempts);
    const burst = this.bursts.get(job.id);
    this.bursts.delete(job.id);
    await burst?.flush(); // the last progress goes out before the end
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
    this.ended.set(id, { attempt, at: now });
    if (this.ended.size > 10_000) {
      for (const [key, end] of this.ended)
        if (now - end.at > ENDED_MEMORY_MS) this.ended.delete(key);
    }
  }
}
