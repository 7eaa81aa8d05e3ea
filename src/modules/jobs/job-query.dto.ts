import { ApiProperty } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEnum,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { JobPriority, JobStatus } from '../../common/tracking/job-status';

/** `a,b` or repeated `?x=a&x=b` → ['a', 'b']. */
const list = () =>
  Transform(({ value }: { value: unknown }) =>
    (Array.isArray(value) ? value : [value])
      .flatMap((v) => String(v).split(','))
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  );

export class JobPageQuery {
  @ApiProperty({ required: false, default: 50, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 50;

  @ApiProperty({ required: false, default: 0, minimum: 0, maximum: 1_000_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  offset: number = 0;
}

export class JobListQuery extends JobPageQuery {
  @ApiProperty({
    required: false,
    enum: JobStatus,
    isArray: true,
    description: 'comma-separated or repeated',
  })
  @IsOptional()
  @list()
  @IsEnum(JobStatus, { each: true })
  status?: JobStatus[];

  @ApiProperty({
    required: false,
    type: [String],
    description: 'job types, e.g. upload; comma-separated or repeated',
  })
  @IsOptional()
  @list()
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  type?: string[];

  @ApiProperty({ required: false, enum: JobPriority, isArray: true })
  @IsOptional()
  @list()
  @IsEnum(JobPriority, { each: true })
  priority?: JobPriority[];

  @ApiProperty({
    required: false,
    description: 'created at or after (ISO 8601)',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiProperty({ required: false, description: 'created before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
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
