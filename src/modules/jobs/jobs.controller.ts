import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../../common/http/api-problems';
import { DomainError } from '../../common/http/domain-error';
import { parseInstant } from '../../common/http/instant';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentPrincipal } from '../../common/auth/auth.decorators';
import { Principal } from '../../common/auth/principal';
import { JobOperations } from '../../common/tracking/job-operations';
import { jobView } from '../../common/tracking/job-view';
import { ACTIVE_STATUSES } from '../../common/tracking/job-status';
import { PageQuery } from '../../common/http/query';
import { JobListQuery, JobStatsQuery } from './job-query.dto';
import { JobSearchService } from './job-search.service';

export class CancelJobDto {
  @ApiProperty({
    required: false,
    maxLength: 500,
    description: 'Why the job is cancelled (kept on the job)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** One job of any type: details with its attempts, cancel, retry. */
@ApiTags('jobs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly ops: JobOperations,
    private readonly search: JobSearchService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Jobs of every type: filter, sort, page' })
  @ApiOkResponse({ description: '{ items, total, limit, offset }' })
  @ApiProblems(400)
  async list(@Query() query: JobListQuery, @CurrentPrincipal() principal: Principal) {
    // Both were checked by @IsInstant(): parseInstant reads them.
    const from = query.from ? parseInstant(query.from) : undefined;
    const to = query.to ? parseInstant(query.to) : undefined;
    if (from && to && from > to) {
      throw new DomainError('INVALID_INPUT', 'from must not be after to', {
        errors: [{ field: 'from', message: 'must not be after to' }],
      });
    }
    return this.search.search(principal, { ...query, from, to });
  }

  @Get('active')
  @ApiOperation({ summary: 'Jobs not ended yet: PENDING, QUEUED, PROCESSING, RETRYING' })
  @ApiOkResponse({ description: '{ items, total, limit, offset }' })
  @ApiProblems(400)
  async active(@Query() query: PageQuery, @CurrentPrincipal() principal: Principal) {
    return this.search.search(principal, { ...query, status: [...ACTIVE_STATUSES] });
  }

  @Get('stats')
  @ApiOperation({ summary: 'Totals over the last `days` days (created since), by status and type' })
  @ApiOkResponse({
    description:
      'total, byStatus, byType, averageDurationSeconds, successRate, totalProcessingSeconds, active',
  })
  @ApiProblems(400)
  async stats(@Query() query: JobStatsQuery, @CurrentPrincipal() principal: Principal) {
    return this.search.stats(principal, query.days);
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @ApiOperation({ summary: 'One job of any type, with every attempt' })
  @ApiOkResponse({ description: 'The job, its type and its attemptHistory' })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const { type, job } = await this.ops.find(id, principal);
    return jobView(type.definition.type, job, await this.ops.attempts(job.id));
  }

  @Post(':id/cancel')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a job that has not ended (a running one is told to stop)' })
  @ApiOkResponse({ description: 'The cancelled job' })
  @ApiProblems(400, 409)
  async cancel(
    @Param('id') id: string,
    @Body() body: CancelJobDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    const found = await this.ops.find(id, principal);
    return jobView(
      found.type.definition.type,
      await this.ops.cancel(found, principal, body.reason ?? null),
    );
  }

  @Post(':id/retry')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a FAILED or CANCELLED job back in the queue with a fresh budget' })
  @ApiOkResponse({ description: 'The queued job' })
  @ApiProblems(409, 503)
  async retry(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const found = await this.ops.find(id, principal);
    return jobView(found.type.definition.type, await this.ops.retry(found));
  }
}
