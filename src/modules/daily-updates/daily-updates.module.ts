import { Module } from '@nestjs/common';
import { JobTypeModule } from '../../common/tracking/job-type.module';
import { DAILY_UPDATE } from './daily-updates.constants';
import { DailyUpdateProcessor } from './daily-update.processor';
import { DailyUpdatesController } from './daily-updates.controller';
import { DailyUpdatesScheduler } from './daily-updates.scheduler';
import { DailyUpdatesService } from './daily-updates.service';

/**
 * The daily-update calendar: one slot per day and registered source (DailySources), created
 * when due, caught up after outages, each the parent of the domain jobs it starts.
 */
@Module({
  imports: [JobTypeModule.register(DAILY_UPDATE, { processor: DailyUpdateProcessor })],
  providers: [DailyUpdatesService, DailyUpdateProcessor, DailyUpdatesScheduler],
  controllers: [DailyUpdatesController],
  exports: [DailyUpdatesService],
})
export class DailyUpdatesModule {}
