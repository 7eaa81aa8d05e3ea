import { Module } from '@nestjs/common';
import { EtfDailySources } from './etf-daily.source';
import { JobTypeModule } from '../../common/tracking/job-type.module';
import { ETF_UPDATE, PRICES_SOURCE } from './etf-prices.constants';
import { EtfUpdateProcessor } from './etf-update.processor';
import { EtfUpdatesService } from './etf-updates.service';
import { EtfsController } from './etfs.controller';
import { EtfsService } from './etfs.service';
import { ExchangeCalendarsController } from './exchange-calendars.controller';
import { ExchangeClosuresService } from './exchange-closures.service';
import { HttpCsvPricesSource } from './prices-source';

/** ETFs, their daily prices and updates, and the exchange calendars with operator closures. */
@Module({
  imports: [JobTypeModule.register(ETF_UPDATE, { processor: EtfUpdateProcessor })],
  providers: [
    EtfDailySources,
    { provide: PRICES_SOURCE, useClass: HttpCsvPricesSource },
    EtfsService,
    EtfUpdatesService,
    EtfUpdateProcessor,
    ExchangeClosuresService,
  ],
  controllers: [EtfsController, ExchangeCalendarsController],
  exports: [EtfUpdatesService, EtfsService, ExchangeClosuresService],
})
export class EtfPricesModule {}
