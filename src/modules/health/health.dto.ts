import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/** `GET /health/live`. */
export class LivenessView {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

/** `GET /health/startup`: `ok` (200) once started, `starting` (503) before. */
export class StartupView {
  @ApiProperty({ enum: ['ok', 'starting'] })
  status: 'ok' | 'starting';
}

/** One check of the readiness probe. */
export class HealthIndicatorView {
  @ApiProperty({ enum: ['up', 'degraded', 'down'] })
  status: 'up' | 'degraded' | 'down';

  @ApiPropertyOptional({ description: 'Why it is down', example: 'timed out' })
  message?: string;
}

const checks = (description: string) => ({
  type: 'object' as const,
  additionalProperties: { $ref: getSchemaPath(HealthIndicatorView) },
  description: `${description}, by check: shutdown, database, redis, migrations`,
  example: { database: { status: 'up' }, redis: { status: 'up' } },
});

/** `GET /health/ready` (Terminus' answer): `ok` (200), or anything else (503). */
@ApiExtraModels(HealthIndicatorView)
export class ReadinessView {
  @ApiProperty({ enum: ['ok', 'degraded', 'error', 'shutting_down'] })
  status: 'ok' | 'degraded' | 'error' | 'shutting_down';

  @ApiPropertyOptional(checks('The checks that are up'))
  info?: Partial<Record<string, HealthIndicatorView>>;

  @ApiPropertyOptional(checks('The checks that are down'))
  error?: Partial<Record<string, HealthIndicatorView>>;

  @ApiPropertyOptional(checks('Every check'))
  details?: Partial<Record<string, HealthIndicatorView>>;
}
