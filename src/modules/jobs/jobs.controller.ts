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
import {
  AnyJobView,
  anyJobView,
  JobDetailView,
  jobDetailView,
} from '../../common/tracking/job-view';
import { ACTIVE_STATUSES } from '../../common/tracking/job-status';
import { PageQuery } from '../../common/http/query';
import { JobListQuery, JobStatsQuery } from './job-query.dto';
import { JobPage, JobStatsView } from './job-responses.dto';
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
  @ApiOkResponse({ type: JobPage, description: 'A page of jobs, newest first by default' })
  @ApiProblems(400)
  async list(
    @Query() query: JobListQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobPage> {
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
  @ApiOkResponse({ type: JobPage, description: 'A page of the jobs not ended yet, newest first' })
  @ApiProblems(400)
  async active(
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobPage> {
    return this.search.search(principal, { ...query, status: [...ACTIVE_STATUSES] });
  }

  @Get('stats')
  @ApiOperation({ summary: 'Totals over the last `days` days (created since), by status and type' })
  @ApiOkResponse({ type: JobStatsView, description: "Totals within the caller's scope" })
  @ApiProblems(400)
  async stats(
    @Query() query: JobStatsQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobStatsView> {
    return this.search.stats(principal, query.days);
  }

  @Get(':id')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @ApiOperation({ summary: 'One job of any type, with every attempt' })
  @ApiOkResponse({ type: JobDetailView, description: 'The job, its type and its attemptHistory' })
  async get(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<JobDetailView> {
    const { type, job } = await this.ops.find(id, principal);
    return jobDetailView(type.definition.type, job, await this.ops.attempts(job.id));
  }

  @Post(':id/cancel')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a job that has not ended (a running one is told to stop)' })
  @ApiOkResponse({ type: AnyJobView, description: 'The cancelled job' })
  @ApiProblems(400, 409)
  async cancel(
    @Param('id') id: string,
    @Body() body: CancelJobDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AnyJobView> {
    const found = await this.ops.find(id, principal);
    return anyJobView(
      found.type.definition.type,
      await this.ops.cancel(found, principal, body.reason ?? null),
    );
  }

  @Post(':id/retry')
  @ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
  @ApiProblems(404)
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a FAILED or CANCELLED job back in the queue with a fresh budget' })
  @ApiOkResponse({ type: AnyJobView, description: 'The queued job' })
  @ApiProblems(409, 503)
  async retry(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AnyJobView> {
    const found = await this.ops.find(id, principal);
    return anyJobView(found.type.definition.type, await this.ops.retry(found));
  }
}
