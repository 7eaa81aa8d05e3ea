import { Controller, Get, Header, Req, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../../common/auth/auth.decorators';
import { ApiProblems } from '../../common/http/api-problems';
import { METRICS_TOKEN_SCHEME } from '../../common/http/api-schema';
import { JobMetrics } from '../../common/tracking/job-metrics';
import { AppConfig } from '../../config/app-config';
import { same } from './admin-auth.middleware';

/** Prometheus scrape endpoint (text exposition format); a bearer token when METRICS_TOKEN is set. */
@ApiTags('monitoring')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: JobMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus scrape: job, queue and process metrics (text exposition format 0.0.4)',
    description: 'Needs the METRICS_TOKEN bearer token when one is configured.',
  })
  // Either no credentials (no METRICS_TOKEN set) or the METRICS_TOKEN bearer token.
  @ApiSecurity({})
  @ApiSecurity(METRICS_TOKEN_SCHEME)
  @ApiOkResponse({
    description: 'The metrics',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiProblems(401)
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  // The header is read from the request: a @Headers() parameter would be documented as one.
  async scrape(@Req() req: Request): Promise<string> {
    const expected = this.config.env.METRICS_TOKEN;
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!same(given, expected)) {
        throw new UnauthorizedException('/metrics needs the METRICS_TOKEN bearer token');
      }
    }
    return this.metrics.registry.metrics();
  }
}
