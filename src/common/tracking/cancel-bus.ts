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
  /** 'cancel' (default): stop the job. 'ended': a job ended outside a worker (orphan rescue). */
  kind?: 'cancel' | 'ended';
}

type Listener = (message: CancelMessage) => void;

const PUBLISH_TIMEOUT_MS = 2_000;

/**
 * Cancels running jobs from any process: the API publishes on a Redis channel, every
 * worker process listens and aborts the signal of the job if it runs it. (BullMQ's own
 * `worker.cancelJob` only reaches jobs of the calling process.) A lost message is caught
 * by the worker's next progress write, which finds the row no longer PROCESSING. The
 * live-progress gateways listen too, for cancels and for ends no worker reports.
 */
@Injectable()
export class CancelBus implements OnApplicationShutdown {
  private publisher?: Redis;
  private subscriber?: Redis;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly everyMessage = new Set<Listener>();
  private readonly channel: string;
  private readonly logger: Logger;

  constructor(
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.channel = `${config.env.QUEUE_PREFIX}:cancel`;
    this.logger = root.child({ context: CancelBus.name });
  }

  /** Tells every process (the worker running the job, the gateways); fails fast without Redis. */
  async publish(message: CancelMessage): Promise<void> {
    this.publisher ??= new Redis({
      ...redisOptionsFromUrl(this.config.env.REDIS_URL),
      maxRetriesPerRequest: 1,
    });
    await withTimeout(
      this.publisher.publish(this.channel, JSON.stringify(message)),
      PUBLISH_TIMEOUT_MS,
      () => {
        throw new Error('Redis did not answer in time');
      },
    );
  }

  /**
   * Subscribes this process once. Not awaited on purpose: while Redis is down the
   * subscription waits in ioredis's queue and is renewed on every reconnect.
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

  /** Calls `listener` for every message (cancels and ends) of any job: the live-progress gateway. */
  onAnyMessage(listener: Listener): void {
    this.start();
    this.everyMessage.add(listener);
  }

  private dispatch(raw: string): void {
    let message: CancelMessage;
    try {
      message = JSON.parse(raw) as CancelMessage;
    } catch (err) {
      this.logger.warn({ err }, 'ignored a malformed cancel message');
      return;
    }
    const forTheJob =
      message.kind === 'ended' ? [] : [...(this.listeners.get(message.jobId) ?? [])];
    for (const listener of [...this.everyMessage, ...forTheJob]) {
      try {
        listener(message); // one failing listener must not keep the others (a worker's abort) from running
      } catch (err) {
        this.logger.warn({ err, jobId: message.jobId }, 'a cancel listener failed');
      }
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
