import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  IsEnum,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Roles } from '../../../src/common/auth/auth.decorators';
import { Principal } from '../../../src/common/auth/principal';
import { JobPriority } from '../../../src/common/tracking/job-status';
import { ApiProblems } from '../../../src/common/http/api-problems';
import { TestScript } from './test-job.entity';
import { TestJobService } from './test-job.service';
import { TestJobView, testJobView } from './test-job-view';

export class CreateTestJobDto {
  @IsOptional() @IsObject() script?: TestScript;
  @IsOptional() @IsString() @MaxLength(64) domainKey?: string;
  @IsOptional() @IsEnum(JobPriority) priority?: JobPriority;
  @IsOptional() @IsInt() @Min(1) @Max(10) maxAttempts?: number;
}

/** The test job type's routes (tests only; in the document while tests run). */
@ApiTags('test-jobs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('test-jobs')
export class TestJobController {
  constructor(private readonly service: TestJobService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create a test job (200 with the existing one for a known domainKey)' })
  @ApiAcceptedResponse({ type: TestJobView, description: 'The job, queued' })
  @ApiOkResponse({ type: TestJobView, description: 'The job that has this domainKey' })
  @ApiProblems(400)
  async create(
    @Body() body: CreateTestJobDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TestJobView> {
    const { job, created } = await this.service.createAndEnqueue(
      { script: body.script ?? {}, domainKey: body.domainKey ?? null },
      principal,
      { priority: body.priority, maxAttempts: body.maxAttempts },
    );
    res.setHeader('Location', `/api/v1/jobs/${job.id}`);
    if (!created) res.status(200);
    return testJobView(job);
  }

  /** A system job (no tenant): reference-data work only admins may start. */
  @Post('system')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Create a system test job (admins only)' })
  @ApiAcceptedResponse({ type: TestJobView, description: 'The job, queued' })
  @ApiProblems(400, 403)
  async createSystem(@Body() body: CreateTestJobDto): Promise<TestJobView> {
    const { job } = await this.service.createAndEnqueue(
      { script: body.script ?? {}, domainKey: body.domainKey ?? null },
      null,
    );
    return testJobView(job);
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TestJobView })
  @ApiProblems(404)
  async get(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TestJobView> {
    return testJobView(await this.service.findForCaller(id, principal));
  }
}
