import type { RedisOptions } from 'bullmq';
import type { RedisOptions as IORedisOptions } from 'ioredis';

/** Connection options (for BullMQ and ioredis) from a redis:// or rediss:// URL. */
export function redisOptionsFromUrl(url: string): RedisOptions & IORedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ workers and blocking calls need this; producers bound their waits themselves.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
}

/**
 * Returns Redis's eviction policy. Anything but `noeviction` lets Redis drop queued jobs
 * silently under memory pressure.
 */
export async function evictionPolicy(client: {
  info(section: string): Promise<string>;
}): Promise<string | undefined> {
  const info = await client.info('memory');
  return /maxmemory_policy:(\S+)/.exec(info)?.[1];
}
