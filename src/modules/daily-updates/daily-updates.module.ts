import { Module } from '@nestjs/common';
import { JobTypeModule } from '../../common/tracking/job-type.module';
import { DAILY_UPDATE } from './daily-updates.constants';
import { DailyUpdateProcessor } from './daily-update.processor';
import { DailyUpdatesController } from './daily-updates.controller';
import { DailyUpdatesScheduler } from './daily-updates.scheduler';
import { DailyUpdatesService } from './daily-updates.service';
import { FreshnessController } from './freshness.controller';
import { FreshnessMetrics } from './freshness.metrics';
import { FreshnessService } from './freshness.service';

/**
 * The daily-update calendar: one slot per day and registered source (DailySources), created
 * when due, caught up after outages, each the parent of the domain jobs it starts; the
 * freshness of each source (GET /freshness and the jobtrack_daily_* gauges).
 */
@Module({
  imports: [JobTypeModule.register(DAILY_UPDATE, { processor: DailyUpdateProcessor })],
  providers: [
    DailyUpdatesService,
    DailyUpdateProcessor,
    DailyUpdatesScheduler,
    FreshnessService,
    FreshnessMetrics,
  ],
  controllers: [DailyUpdatesController, FreshnessController],
  exports: [DailyUpdatesService, FreshnessService],
})
export class DailyUpdatesModule {}
