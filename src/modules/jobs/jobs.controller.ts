import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems } from '../../common/http/api-problems';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentPrincipal } from '../../common/auth/auth.decorators';
import { Principal } from '../../common/auth/principal';
import { JobOperations } from '../../common/tracking/job-operations';
import { jobView } from '../../common/tracking/job-view';

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
@ApiProblems(401, 404)
@ApiParam({ name: 'id', description: 'Job id (UUID v7)', format: 'uuid' })
@Controller('jobs')
export class JobsController {
  constructor(private readonly ops: JobOperations) {}

  @Get(':id')
  @ApiOperation({ summary: 'One job of any type, with every attempt' })
  @ApiOkResponse({ description: 'The job, its type and its attemptHistory' })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const { type, job } = await this.ops.find(id, principal);
    return jobView(type.definition.type, job, await this.ops.attempts(job.id));
  }

  @Post(':id/cancel')
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
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a FAILED or CANCELLED job back in the queue with a fresh budget' })
  @ApiOkResponse({ description: 'The queued job' })
  @ApiProblems(409, 503)
  async retry(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    const found = await this.ops.find(id, principal);
    return jobView(found.type.definition.type, await this.ops.retry(found));
  }
}
