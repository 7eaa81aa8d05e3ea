import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { AppConfig } from '../../config/app-config';
import { MaintenanceService } from './maintenance.service';

/** Runs the housekeeping on intervals from config; a run never overlaps the previous one. */
@Injectable()
export class MaintenanceScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly running = new Set<string>();
  private readonly logger: Logger;

  constructor(
    private readonly maintenance: MaintenanceService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: MaintenanceScheduler.name });
  }

  onApplicationBootstrap(): void {
    if (!this.config.maintenanceEnabled) return;
    const { env } = this.config;
    this.every('outbox-dispatcher', env.OUTBOX_INTERVAL_MS, () =>
      this.maintenance.dispatchPending(),
    );
    this.every('orphan-rescue', env.ORPHAN_RESCUE_INTERVAL_MS, () =>
      this.maintenance.rescueOrphans(),
    );
    this.every('retention', env.RETENTION_INTERVAL_MS, () => this.maintenance.applyRetention());
  }

  onModuleDestroy(): void {
    for (const name of this.scheduler.getIntervals()) this.scheduler.deleteInterval(name);
  }

  private every(name: string, ms: number, task: () => Promise<unknown>): void {
    const tick = async () => {
      if (this.running.has(name)) return;
      this.running.add(name);
      try {
        await task();
      } catch (err) {
        this.logger.warn({ err, task: name }, 'maintenance run failed; next run retries');
      } finally {
        this.running.delete(name);
      }
    };
    this.scheduler.addInterval(
      name,
      setInterval(() => void tick(), ms),
    );
  }
}
