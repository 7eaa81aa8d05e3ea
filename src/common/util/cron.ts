import type { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { AppConfig } from '../../config/app-config';

/**
 * Starts `tick` on `cron` (in `timeZone`) under `name`, in processes where maintenance runs
 * (`MAINTENANCE_ENABLED`); a cron of `off` never starts. Returns whether it started.
 */
export function startCron(
  scheduler: SchedulerRegistry,
  config: AppConfig,
  spec: { name: string; cron: string; timeZone: string; tick: () => unknown },
): boolean {
  if (!config.maintenanceEnabled || spec.cron === 'off') return false;
  const job = CronJob.from({
    cronTime: spec.cron,
    timeZone: spec.timeZone,
    onTick: () => void spec.tick(),
  });
  scheduler.addCronJob(spec.name, job);
  job.start();
  return true;
}

/** Stops and forgets the cron `name`, if it was started. */
export function stopCron(scheduler: SchedulerRegistry, name: string): void {
  if (scheduler.doesExist('cron', name)) scheduler.deleteCronJob(name);
}
