import { Module } from '@nestjs/common';
import { EcbDailySource } from './ecb-daily.source';
import { JobTypeModule } from '../../common/tracking/job-type.module';
import { ExchangeRateBackfillProcessor } from './exchange-rate-backfill.processor';
import { ExchangeRateUpdateProcessor } from './exchange-rate-update.processor';
import {
  EXCHANGE_RATE_BACKFILL,
  EXCHANGE_RATE_UPDATE,
  RATES_SOURCE,
} from './exchange-rates.constants';
import { ExchangeRateUpdatesController } from './exchange-rates.controller';
import { ExchangeRatesScheduler } from './exchange-rates.scheduler';
import { ExchangeRateBackfillService, ExchangeRatesService } from './exchange-rates.service';
import { EcbRatesSource } from './rates-source';
import { ExchangeRatesReadController } from './exchange-rates-read.controller';
import { ExchangeRatesQuery } from './exchange-rates.query';

/** ECB euro reference rates: the daily update, range loads, the schedule; the read API. */
@Module({
  imports: [
    JobTypeModule.register(EXCHANGE_RATE_UPDATE, { processor: ExchangeRateUpdateProcessor }),
    JobTypeModule.register(EXCHANGE_RATE_BACKFILL, { processor: ExchangeRateBackfillProcessor }),
  ],
  providers: [
    EcbDailySource,
    { provide: RATES_SOURCE, useClass: EcbRatesSource },
    ExchangeRatesService,
    ExchangeRateBackfillService,
    ExchangeRateUpdateProcessor,
    ExchangeRateBackfillProcessor,
    ExchangeRatesScheduler,
    ExchangeRatesQuery,
  ],
  controllers: [ExchangeRateUpdatesController, ExchangeRatesReadController],
  exports: [ExchangeRatesService],
})
export class ExchangeRatesModule {}
