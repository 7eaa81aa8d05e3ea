import { DailySources } from './common/daily/daily-source';
import { MikroORM } from '@mikro-orm/postgresql';
import {
  DynamicModule,
  Inject,
  Injectable,
  Module,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TokenService } from './common/auth/token.service';
import { LifecycleService } from './common/lifecycle/lifecycle.service';
import { ROOT_LOGGER } from './common/logging/root-logger';
import { evictionPolicy, redisOptionsFromUrl } from './common/redis/redis-options';
import { AppConfig } from './config/app-config';
import { migrateWithLock } from './database/database-bootstrap';

/** Applies pending migrations at start-up, once across replicas (advisory lock). */
@Injectable()
export class StartupMigrations implements OnModuleInit {
  constructor(
    private readonly orm: MikroORM,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await migrateWithLock(this.orm, this.config.env.DATABASE_URL);
    if (applied.length) this.logger.info({ applied }, 'migrations applied');
  }
}

/** Reports loudly when Redis may evict keys: an evicted queue job is lost without a trace. */
@Injectable()
export class RedisEvictionCheck implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const redis = new Redis({
      ...redisOptionsFromUrl(this.config.env.REDIS_URL),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      const policy = await evictionPolicy(redis);
      if (policy && policy !== 'noeviction') {
        this.logger.error(
          { maxmemoryPolicy: policy },
          `REDIS MISCONFIGURED: maxmemory-policy is "${policy}"; Redis may evict queued jobs silently. Set it to "noeviction".`,
        );
      }
    } catch (err) {
      this.logger.warn({ err }, 'could not read Redis maxmemory-policy (Redis unreachable?)');
    } finally {
      redis.disconnect();
    }
  }
}

@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: ROOT_LOGGER, useValue: logger },
        LifecycleService,
        TokenService,
        StartupMigrations,
        RedisEvictionCheck,
        DailySources,
      ],
      exports: [AppConfig, ROOT_LOGGER, LifecycleService, TokenService, DailySources],
    };
  }
}
