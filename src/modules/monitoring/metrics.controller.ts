import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';

import { Public } from '../../common/auth/auth.decorators';
import { JobMetrics } from '../../common/tracking/job-metrics';
import { AppConfig } from '../../config/app-config';
import { same } from './admin-auth.middleware';

/** Prometheus scrape endpoint (text exposition format); a bearer token when METRICS_TOKEN is set. */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: JobMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const expected = this.config.env.METRICS_TOKEN;
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
      if (!same(given, expected)) {
        throw new UnauthorizedException('/metrics needs the METRICS_TOKEN bearer token');
      }
    }
    return this.metrics.registry.metrics();
  }
}
