import { MikroORM } from '@mikro-orm/postgresql';
import { Controller, Get, OnApplicationShutdown, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { Public } from '../../common/auth/auth.decorators';
import { LifecycleService } from '../../common/lifecycle/lifecycle.service';
import { redisOptionsFromUrl } from '../../common/redis/redis-options';
import { withTimeout } from '../../common/util/with-timeout';
import { AppConfig } from '../../config/app-config';
import { pendingMigrations } from '../../database/database-bootstrap';
import { LivenessView, ReadinessView, StartupView } from './health.dto';

const CHECK_TIMEOUT_MS = 1_500;

/** Kubernetes probes. Liveness never touches a dependency; readiness checks them all. */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController implements OnApplicationShutdown {
  private readonly redis: Redis;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly orm: MikroORM,
    private readonly lifecycle: LifecycleService,
    config: AppConfig,
  ) {
    this.redis = new Redis({
      ...redisOptionsFromUrl(config.env.REDIS_URL),
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    this.redis.on('error', () => undefined); // reported by the probe, not the log
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers (never touches a dependency)' })
  @ApiOkResponse({ type: LivenessView, description: 'Alive' })
  live(): LivenessView {
    return { status: 'ok' };
  }

  @Get('startup')
  @ApiOperation({ summary: 'Startup: migrations applied and workers started' })
  @ApiOkResponse({ type: StartupView, description: 'Started' })
  @ApiServiceUnavailableResponse({ type: StartupView, description: 'Still starting' })
  startup(@Res() res: Response) {
    const up = this.lifecycle.isStarted;
    const body: StartupView = { status: up ? 'ok' : 'starting' };
    res.status(up ? 200 : 503).json(body);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: PostgreSQL, Redis, migrations, not shutting down' })
  @ApiOkResponse({ type: ReadinessView, description: 'Ready; every check up' })
  @ApiServiceUnavailableResponse({
    type: ReadinessView,
    description: 'Not ready; the failing checks are listed',
  })
  async ready(@Res() res: Response) {
    const result = await this.health
      .check([
        () =>
          this.probe('shutdown', async () => {
            if (this.lifecycle.isShuttingDown) throw new Error('shutting down');
          }),
        () => this.probe('database', () => this.orm.em.getConnection().execute('SELECT 1')),
        () =>
          this.probe('redis', async () => {
            if (this.redis.status === 'wait' || this.redis.status === 'end')
              await this.redis.connect().catch(() => undefined);
            await this.redis.ping();
          }),
        () =>
          this.probe('migrations', async () => {
            const pending = await pendingMigrations(this.orm);
            if (pending.length) throw new Error(`pending: ${pending.join(', ')}`);
          }),
      ])
      .catch(
        (err: { getResponse?: () => unknown }) =>
          (err.getResponse?.() as ReadinessView | undefined) ?? { status: 'error' as const },
      );
    const body: ReadinessView = result;
    res.status(body.status === 'ok' ? 200 : 503).json(body);
  }

  private async probe(key: string, check: () => Promise<unknown>) {
    const indicator = this.indicator.check(key);
    try {
      await withTimeout(check(), CHECK_TIMEOUT_MS, () => {
        throw new Error('timed out');
      });
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: (err as Error).message });
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
