import { INestApplication, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Logger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AppModule, AppOptions } from './app.module';
import { documentRefusals } from './common/http/api-problems';
import { METRICS_TOKEN_SCHEME } from './common/http/api-schema';
import { inputGuard } from './common/http/input-rules';
import { ProblemDetailsFilter } from './common/http/problem-details.filter';
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

/** Builds and initialises the Nest application (not listening yet). */
export async function createApp(options: AppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bufferLogs: true,
    abortOnError: false,
    // Registered below, so that the input guard runs right after them.
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Nest's own parsers and limits (JSON, extended urlencoded, 100 KB), then the input rule
  // over every request's query and body, before any route, DTO mapping or query sees them.
  app.useBodyParser('json');
  app.useBodyParser('urlencoded', { extended: true });
  app.use(inputGuard);
  answerClientErrors(app.getHttpServer());
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
  SwaggerModule.setup('api/docs', app, openApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
  try {
    await app.init();
  } catch (err) {
    // A start-up check failed (e.g. a job type declared wrong): release what was opened.
    await app.close().catch(() => undefined);
    throw err;
  }
  // Nest answers unmatched paths only under the prefix and on the excluded routes; anything
  // else (`//metrics`, `/metrics;x`, `/admin/queues%2f`) would get Express's HTML page.
  // These run last, after every route: every answer of the service is problem+json.
  const problems = new ProblemDetailsFilter(app.get<Pino>(ROOT_LOGGER));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new NotFoundException(`no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    problems.reply(err, req, res);
  });
  return app;
}

/** The OpenAPI document of the app's routes, as served at /api/docs-json. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('jobtrack')
      .setDescription(
        'Runs and tracks background jobs. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'opaque',
          description: 'METRICS_TOKEN, when it is set',
        },
        METRICS_TOKEN_SCHEME,
      )
      .build(),
  );
  return documentRefusals(document);
}

/**
 * Requests Node's HTTP parser refuses before Express sees them (a URL or headers over the
 * 16 KB header limit, a malformed request line) are answered as problems too, not with
 * Node's bare 400/431.
 */
function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    const title = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify({
      type: `https://httpstatuses.io/${status}`,
      title,
      status,
      detail:
        status === 431
          ? 'the request line and headers are larger than this service accepts (16 KB)'
          : 'the request could not be read as HTTP',
    });
    // A HEAD gets the headers alone (its client reads no body).
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString() === 'HEAD ';
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
        (head ? '' : body),
    );
  });
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
