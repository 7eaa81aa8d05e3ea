import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { JobTypeModule } from '../../common/tracking/job-type.module';
import { AppConfig } from '../../config/app-config';
import { DatasetRegistry } from './datasets/dataset-registry';
import { TRANSACTIONS_DATASET } from './datasets/transactions.dataset';
import { ETF_PRICES_DATASET } from '../etf-prices/etf-prices.dataset';
import { EXCHANGE_RATES_DATASET } from '../exchange-rates/exchange-rates.dataset';
import { UploadProcessor } from './upload.processor';
import { DatasetsController, UploadsController } from './uploads.controller';
import { BULK_POOL, UPLOAD_JOB_TYPE } from './uploads.constants';
import { UploadsService } from './uploads.service';

/** CSV bulk uploads: receive, track, import into registered datasets. */
@Module({
  imports: [
    JobTypeModule.register(UPLOAD_JOB_TYPE, {
      processor: UploadProcessor,
      configure: (env) => ({ concurrency: env.UPLOAD_CONCURRENCY }),
    }),
  ],
  providers: [
    {
      provide: DatasetRegistry,
      useFactory: () => {
        const registry = new DatasetRegistry();
        registry.register(TRANSACTIONS_DATASET);
        registry.register(EXCHANGE_RATES_DATASET);
        registry.register(ETF_PRICES_DATASET);
        return registry;
      },
    },
    {
      provide: BULK_POOL,
      inject: [AppConfig, ROOT_LOGGER],
      // Its own small pool: COPY needs a raw connection, and a long import must not
      // starve the ORM's pool that serves the API.
      useFactory: (config: AppConfig, logger: Logger) => {
        const pool = new Pool({
          connectionString: config.env.DATABASE_URL,
          max: config.env.UPLOAD_CONCURRENCY + 1,
          idleTimeoutMillis: 30_000,
          // Bounded waits: an import blocked behind another's row locks fails its attempt
          // (and retries) instead of holding a connection forever.
          connectionTimeoutMillis: 60_000,
          options: '-c lock_timeout=120000',
        });
        // `pg` reports a connection the server dropped (restart, failover, admin kill) as an
        // 'error' event, fatal to the process without a listener. An idle connection's goes
        // to the pool, which has already discarded it; a checked-out one's goes to the
        // client, whose holder (UploadImport) sees its next query fail and releases it with
        // the error. The listener on every client covers the moments between the two.
        const log = logger.child({ context: 'BulkPool' });
        pool.on('error', (err) =>
          log.warn({ err: { message: err.message } }, 'idle bulk connection lost; discarded'),
        );
        pool.on('connect', (client) => client.on('error', () => undefined));
        return pool;
      },
    },
    UploadsService,
    UploadProcessor,
  ],
  controllers: [UploadsController, DatasetsController],
  exports: [UploadsService, DatasetRegistry],
})
export class UploadsModule implements OnApplicationShutdown {
  constructor(@Inject(BULK_POOL) private readonly pool: Pool) {}

  /**
   * After the workers drained (they stop in onModuleDestroy, which for this module would
   * run first: a running import must keep its connection until it is handed back).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
