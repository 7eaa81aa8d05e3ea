import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { ROOT_LOGGER } from '../logging/root-logger';
import { redisOptionsFromUrl } from '../redis/redis-options';

export interface CancelMessage {
  jobId: string;
  cancelledBy: string | null;
  reason: string | null;
}

/**
 * Cancels running jobs from any process: the API publishes on a Redis channel, every
 * worker process listens and aborts the signal of the job if it runs it. (BullMQ's own
 * `worker.cancelJob` only reaches jobs of the calling process.)
 */
@Injectable()
export class CancelBus implements OnApplicationShutdown {
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly listeners = new Map<string, (message: CancelMessage) => void>();
  private readonly channel: string;
  private readonly logger: Logger;

  constructor(
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.channel = `${config.env.QUEUE_PREFIX}:cancel`;
    this.logger = root.child({ context: CancelBus.name });
  }

  /** Tells whichever worker runs the job to stop. */
  async publish(message: CancelMessage): Promise<void> {
    this.publisher ??= new Redis({
      ...redisOptionsFromUrl(this.config.env.REDIS_URL),
      maxRetriesPerRequest: 1,
    });
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }

  /** Calls `onCancel` when a cancel for `jobId` arrives; returns the unsubscribe function. */
  async listen(jobId: string, onCancel: (message: CancelMessage) => void): Promise<() => void> {
    if (!this.subscriber) {
      this.subscriber = new Redis(redisOptionsFromUrl(this.config.env.REDIS_URL));
      this.subscriber.on('message', (_channel, raw: string) => this.dispatch(raw));
      this.subscriber.on('error', (err) => this.logger.warn({ err }, 'cancel channel error'));
      await this.subscriber.subscribe(this.channel);
    }
    this.listeners.set(jobId, onCancel);
    return () => this.listeners.delete(jobId);
  }

  private dispatch(raw: string): void {
    try {
      const message = JSON.parse(raw) as CancelMessage;
      this.listeners.get(message.jobId)?.(message);
    } catch (err) {
      this.logger.warn({ err }, 'ignored a malformed cancel message');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([
      this.publisher?.quit().catch(() => undefined),
      this.subscriber?.quit().catch(() => undefined),
    ]);
  }
}
