import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { INSTANT_FORMATS, IsInstant } from '../../common/http/instant';
import { PageQuery, QueryList } from '../../common/http/query';
import { JobPriority, JobStatus } from '../../common/tracking/job-status';

export class JobListQuery extends PageQuery {
  @ApiProperty({
    required: false,
    enum: JobStatus,
    isArray: true,
    description: 'comma-separated or repeated',
  })
  @IsOptional()
  @QueryList()
  @IsEnum(JobStatus, { each: true })
  status?: JobStatus[];

  @ApiProperty({
    required: false,
    type: [String],
    description: 'job types, e.g. upload; comma-separated or repeated',
  })
  @IsOptional()
  @QueryList()
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  type?: string[];

  @ApiProperty({ required: false, enum: JobPriority, isArray: true })
  @IsOptional()
  @QueryList()
  @IsEnum(JobPriority, { each: true })
  priority?: JobPriority[];

  @ApiProperty({
    required: false,
    format: 'date-time',
    description: `created at or after this instant: ${INSTANT_FORMATS}`,
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiProperty({
    required: false,
    format: 'date-time',
    description: `created before this instant: ${INSTANT_FORMATS}`,
  })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiProperty({
    required: false,
    description: "a job id, or text found in a type's summary (e.g. an upload's file name)",
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiProperty({ required: false, enum: ['-created_at', 'created_at'], default: '-created_at' })
  @IsOptional()
  @IsIn(['-created_at', 'created_at'])
  sort: '-created_at' | 'created_at' = '-created_at';
}

export class JobStatsQuery {
  @ApiProperty({ required: false, default: 30, minimum: 1, maximum: 3650 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  days: number = 30;
}
