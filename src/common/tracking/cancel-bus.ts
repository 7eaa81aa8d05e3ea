import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { ROOT_LOGGER } from '../logging/root-logger';
import { redisOptionsFromUrl } from '../redis/redis-options';
import { withTimeout } from '../util/with-timeout';

export interface CancelMessage {
  jobId: string;
  cancelledBy: string | null;
  reason: string | null;
}

type Listener = (message: CancelMessage) => void;

/**
 * Cancels running jobs from any process: the API publishes on a Redis channel, every
 * worker process listens and aborts the signal of the job if it runs it. (BullMQ's own
 * `worker.cancelJob` only reaches jobs of the calling process.) A lost message is caught
 * by the worker's next progress write, which finds the row no longer PROCESSING.
 */
@Injectable()
export class CancelBus implements OnApplicationShutdown {
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly everyCancel = new Set<Listener>();
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

  /**
   * Subscribes this (worker) process once. Not awaited on purpose: while Redis is down
   * the subscription waits in ioredis's queue and is renewed on every reconnect.
   */
  start(): void {
    if (this.subscriber) return;
    const subscriber = new Redis(redisOptionsFromUrl(this.config.env.REDIS_URL));
    subscriber.on('message', (_channel, raw: string) => this.dispatch(raw));
    subscriber.on('error', (err) =>
      this.logger.warn({ err: { message: err.message } }, 'cancel channel error'),
    );
    subscriber
      .subscribe(this.channel)
      .catch((err) => this.logger.error({ err }, 'could not subscribe to the cancel channel'));
    this.subscriber = subscriber;
  }

  /** Calls `onCancel` when a cancel for `jobId` arrives; returns the function that stops listening. */
  listen(jobId: string, onCancel: Listener): () => void {
    this.start();
    const set = this.listeners.get(jobId) ?? new Set<Listener>();
    set.add(onCancel);
    this.listeners.set(jobId, set);
    return () => {
      set.delete(onCancel);
      if (!set.size && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /** Calls `listener` for every cancel of any job (the live-progress gateway). */
  onAnyCancel(listener: Listener): void {
    this.start();
    this.everyCancel.add(listener);
  }

  private dispatch(raw: string): void {
    try {
      const message = JSON.parse(raw) as CancelMessage;
      for (const listener of this.everyCancel) listener(message);
      for (const listener of this.listeners.get(message.jobId) ?? []) listener(message);
    } catch (err) {
      this.logger.warn({ err }, 'ignored a malformed cancel message');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    // quit() would wait forever in ioredis's offline queue while Redis is unreachable.
    const close = (client?: Redis) =>
      client &&
      withTimeout(
        client.quit().then(
          () => undefined,
          () => undefined,
        ),
        2_000,
        () => client.disconnect(),
      );
    await Promise.all([close(this.publisher), close(this.subscriber)]);
  }
}
