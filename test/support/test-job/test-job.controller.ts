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
import type { Response } from 'express';
import { CurrentPrincipal, Roles } from '../../../src/common/auth/auth.decorators';
import { Principal } from '../../../src/common/auth/principal';
import { JobPriority } from '../../../src/common/tracking/job-status';
import { jobView } from '../../../src/common/tracking/job-view';
import { TestScript } from './test-job.entity';
import { TestJobService } from './test-job.service';

export class CreateTestJobDto {
  @IsOptional() @IsObject() script?: TestScript;
  @IsOptional() @IsString() @MaxLength(64) domainKey?: string;
  @IsOptional() @IsEnum(JobPriority) priority?: JobPriority;
  @IsOptional() @IsInt() @Min(1) @Max(10) maxAttempts?: number;
}

@Controller('test-jobs')
export class TestJobController {
  constructor(private readonly service: TestJobService) {}

  @Post()
  @HttpCode(202)
  async create(
    @Body() body: CreateTestJobDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { job, created } = await this.service.createAndEnqueue(
      { script: body.script ?? {}, domainKey: body.domainKey ?? null },
      principal,
      { priority: body.priority, maxAttempts: body.maxAttempts },
    );
    res.setHeader('Location', `/api/v1/jobs/${job.id}`);
    if (!created) res.status(200);
    return jobView('test', job);
  }

  /** A system job (no tenant): reference-data work only admins may start. */
  @Post('system')
  @Roles('admin')
  @HttpCode(202)
  async createSystem(@Body() body: CreateTestJobDto) {
    const { job } = await this.service.createAndEnqueue(
      { script: body.script ?? {}, domainKey: body.domainKey ?? null },
      null,
    );
    return jobView('test', job);
  }

  @Get(':id')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal) {
    return jobView('test', await this.service.findForCaller(id, principal));
  }
}
