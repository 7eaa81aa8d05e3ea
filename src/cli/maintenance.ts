import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule, AppOptions } from '../app.module';
import { MaintenanceService } from '../modules/maintenance/maintenance.service';

export const MAINTENANCE_TASKS = {
  /** Hand PENDING rows (left while Redis was down) to the queue. */
  outbox: (m: MaintenanceService) => m.dispatchPending().then((dispatched) => ({ dispatched })),
  /** Re-enqueue or fail rows whose queue job is gone or ended. */
  rescue: (m: MaintenanceService) => m.rescueOrphans(),
  /** Delete terminal rows older than RETENTION_DAYS, with their attempts and files. */
  retention: (m: MaintenanceService) => m.applyRetention(),
} as const;

export type MaintenanceTask = keyof typeof MAINTENANCE_TASKS;

/**
 * Runs one maintenance pass now, as the crons would, in a process that serves nothing
 * and runs no worker; safe beside running replicas.
 */
export async function runMaintenance(
  task: MaintenanceTask,
  options: AppOptions = {},
): Promise<object> {
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({
      ...options,
      env: { LOG_LEVEL: 'warn', ...options.env, APP_ROLE: 'api', MAINTENANCE_ENABLED: 'false' },
    }),
    { logger: ['error', 'warn'] },
  );
  try {
    return await MAINTENANCE_TASKS[task](app.get(MaintenanceService));
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  const task = process.argv[2] as MaintenanceTask;
  if (!(task in MAINTENANCE_TASKS)) {
    process.stderr.write(
      `usage: npm run maintenance -- ${Object.keys(MAINTENANCE_TASKS).join('|')}\n`,
    );
    process.exit(2);
  }
  runMaintenance(task).then(
    (result) => {
      process.stdout.write(`${JSON.stringify({ task, ...result })}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(
        `maintenance ${task} failed: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
