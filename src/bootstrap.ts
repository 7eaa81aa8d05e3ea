import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AppModule, AppOptions } from './app.module';
import { LifecycleService } from './common/lifecycle/lifecycle.service';
import { ROOT_LOGGER } from './common/logging/root-logger';
import { AppConfig } from './config/app-config';

/** Routes outside the /api/v1 prefix. */
const UNPREFIXED = [
  'health/live',
  'health/ready',
  'health/startup',
  'metrics',
  'admin/queues',
  'admin/queues/{*path}',
];

/** Builds the Nest application (not listening yet). */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  (app as unknown as { disable(setting: string): void }).disable('x-powered-by');
  app.setGlobalPrefix('api/v1', { exclude: UNPREFIXED });
  const config = app.get(AppConfig);
  if (!config.runsApi) {
    // A worker replica serves only its probes.
    app.use('/api', (_req: Request, res: Response, _next: NextFunction) => {
      res
        .status(404)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'https://httpstatuses.io/404',
            title: 'Not Found',
            status: 404,
            detail: 'this replica runs workers only (APP_ROLE=worker)',
          }),
        );
    });
  }
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('jobtrack')
      .setDescription(
        'Runs and tracks background jobs. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return app;
}

/**
 * Starts the app and handles SIGTERM/SIGINT: readiness turns 503 at once, then after
 * SHUTDOWN_DELAY_MS workers stop taking jobs and finish or hand back the current ones,
 * then HTTP and the connections close and the process exits 0.
 */
export async function runApp(options: AppOptions = {}): Promise<INestApplication> {
  const app = await createApp(options);
  const config = app.get(AppConfig);
  const lifecycle = app.get(LifecycleService);
  const logger = app.get<Pino>(ROOT_LOGGER);
  await app.listen(config.env.PORT);
  lifecycle.markStarted();
  logger.info({ port: config.env.PORT, role: config.role }, 'jobtrack started');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    lifecycle.beginShutdown();
    logger.info({ signal }, 'shutting down: readiness now answers 503');
    const deadline = setTimeout(
      () => {
        logger.error('shutdown did not finish in time; exiting');
        process.exit(1);
      },
      config.env.SHUTDOWN_DELAY_MS + config.env.SHUTDOWN_GRACE_MS + 15_000,
    );
    deadline.unref();
    await new Promise((r) => setTimeout(r, config.env.SHUTDOWN_DELAY_MS));
    try {
      await app.close();
      logger.info('shutdown complete');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return app;
}
