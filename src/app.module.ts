import { EntityClass } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Type } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { AuthGuard } from './common/auth/auth.guard';
import { ProblemDetailsFilter } from './common/http/problem-details.filter';
import { createValidationPipe } from './common/http/validation';
import { createRootLogger } from './common/logging/root-logger';
import { ProgressModule } from './common/progress/progress.module';
import { redisOptionsFromUrl } from './common/redis/redis-options';
import { TrackingModule } from './common/tracking/tracking.module';
import { AppConfig } from './config/app-config';
import { validateEnv } from './config/env';
import { buildOrmConfig } from './config/mikro-orm.config';
import { CoreModule } from './core.module';
import { ensureDatabase } from './database/database-bootstrap';
import { DailyUpdatesModule } from './modules/daily-updates/daily-updates.module';
import { EtfPricesModule } from './modules/etf-prices/etf-prices.module';
import { ExchangeRatesModule } from './modules/exchange-rates/exchange-rates.module';
import { HealthModule } from './modules/health/health.module';
import { JobsModule } from './modules/jobs/jobs.module';
import { MaintenanceModule } from './modules/maintenance/maintenance.module';
import { MonitoringModule } from './modules/monitoring/monitoring.module';
import { UploadsModule } from './modules/uploads/uploads.module';

export interface AppOptions {
  /** Variables layered over process.env (tests give each app its own database and prefix). */
  env?: Record<string, string | undefined>;
  /** Extra modules, e.g. a job type that lives in test/. */
  imports?: (Type | DynamicModule)[];
  /** Entities of those extra modules. */
  entities?: EntityClass<unknown>[];
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions = {}): DynamicModule {
    const env = validateEnv({ ...process.env, ...options.env });
    const config = new AppConfig({ get: () => env } as unknown as ConfigService);
    const logger = createRootLogger(env.LOG_LEVEL);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [() => ({ validated: env })],
        }),
        CoreModule.forRoot(config, logger),
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
            customProps: (req) => ({
              sub: (req as { principal?: { sub: string } }).principal?.sub,
            }),
          },
        }),
        MikroOrmModule.forRootAsync({
          // Naming the driver keeps @mikro-orm/nestjs from calling the factory early (to
          // guess it) and swallowing its error, which hid "database unreachable" behind
          // "Nest can't resolve dependencies".
          driver: PostgreSqlDriver,
          useFactory: async () => {
            await ensureDatabase(env.DATABASE_URL, {
              timeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
              logger,
            });
            return buildOrmConfig(env.DATABASE_URL, options.entities as never[]);
          },
        }),
        // Producers fail fast while Redis is down (the outbox keeps the row) instead of queueing commands in memory.
        BullModule.forRoot({
          connection: { ...redisOptionsFromUrl(env.REDIS_URL), enableOfflineQueue: false },
          prefix: env.QUEUE_PREFIX,
        }),
        ScheduleModule.forRoot(),
        TrackingModule,
        HealthModule,
        MaintenanceModule,
        JobsModule,
        MonitoringModule,
        ProgressModule,
        UploadsModule,
        ExchangeRatesModule,
        EtfPricesModule,
        DailyUpdatesModule,
        ...(options.imports ?? []),
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
