import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { startCron, stopCron } from '../../common/util/cron';
import { AppConfig } from '../../config/app-config';
import { ECB_TIME_ZONE, ecbToday } from './ecb-schedule';
import { ExchangeRatesService } from './exchange-rates.service';
import { isPublicationDay } from './target-calendar';

const CRON_NAME = 'ecb-daily-update';

/**
 * Starts the day's update after the ECB's publication (ECB_DAILY_CRON, Berlin time) where
 * maintenance runs. Safe on every replica at once: the day's row is unique, a second
 * create returns it. The job itself polls (retries) while the day is not published yet.
 */
@Injectable()
export class ExchangeRatesScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;

  constructor(
    private readonly rates: ExchangeRatesService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: ExchangeRatesScheduler.name });
  }

  onApplicationBootstrap(): void {
    startCron(this.scheduler, this.config, {
      name: CRON_NAME,
      cron: this.config.env.ECB_DAILY_CRON,
      timeZone: ECB_TIME_ZONE,
      tick: () => this.tick(),
    });
  }

  onModuleDestroy(): void {
    stopCron(this.scheduler, CRON_NAME);
  }

  /** Today's update (a closing day too: its row says why there are no rates). */
  async tick(): Promise<void> {
    const today = ecbToday();
    try {
      const { job, created } = await this.rates.updateDay(today);
      this.logger.info(
        { date: today, id: job.id, created, publicationDay: isPublicationDay(today) },
        'daily exchange-rate update started',
      );
    } catch (err) {
      this.logger.warn(
        { err, date: today },
        'daily exchange-rate update not started; next run retries',
      );
    }
  }
}
