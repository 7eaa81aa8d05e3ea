import { ApiProperty } from '@nestjs/swagger';
import { IsEnum, IsOptional } from 'class-validator';
import { PageQuery, QueryList } from '../../../common/http/query';
import { JobStatus } from '../../../common/tracking/job-status';

export class UploadListQuery extends PageQuery {
  @ApiProperty({
    required: false,
    enum: JobStatus,
    isArray: true,
    description: 'One status, or several (comma-separated or repeated)',
  })
  @IsOptional()
  @QueryList()
  @IsEnum(JobStatus, { each: true })
  status?: JobStatus[];
}
