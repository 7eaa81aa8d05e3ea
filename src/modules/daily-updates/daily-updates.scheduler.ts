import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { startCron, stopCron } from '../../common/util/cron';
import { AppConfig } from '../../config/app-config';
import { DailyUpdatesService } from './daily-updates.service';

const CRON_NAME = 'daily-update-slots';

/**
 * Creates and starts the due slots on DAILY_CRON (UTC), and once at start-up, so that a
 * process coming back after an outage catches up at once. Where maintenance runs; safe on
 * every replica at once (see DailyUpdatesService.createDueSlots).
 */
@Injectable()
export class DailyUpdatesScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  private running: Promise<void> | null = null;

  constructor(
    private readonly slots: DailyUpdatesService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: DailyUpdatesScheduler.name });
  }

  onApplicationBootstrap(): void {
    const started = startCron(this.scheduler, this.config, {
      name: CRON_NAME,
      cron: this.config.env.DAILY_CRON,
      timeZone: 'UTC',
      tick: () => this.tick(),
    });
    if (started) void this.tick();
  }

  onModuleDestroy(): void {
    stopCron(this.scheduler, CRON_NAME);
  }

  /** One look for due slots; a tick while the last one still runs is skipped. */
  tick(): Promise<void> {
    this.running ??= this.slots
      .createDueSlots()
      .then((created) => {
        if (created.length) {
          this.logger.info(
            { slots: created.map((s) => `${s.updateDate} ${s.updateType}`) },
            'daily slots created',
          );
        }
      })
      .catch((err: unknown) =>
        this.logger.warn({ err }, 'daily slots not created; the next tick retries'),
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}
