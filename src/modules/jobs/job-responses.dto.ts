import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { PageBody } from '../../common/http/api-schema';
import { JobPriority, JobStatus } from '../../common/tracking/job-status';
import type { JobListItem, JobStats } from './job-search.service';

/** One job in a list (`GET /jobs`, `/jobs/active`): the tracking fields and a summary. */
export class JobListItemView implements JobListItem {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'upload' })
  type: string;

  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus' })
  status: JobStatus;

  @ApiProperty({ enum: JobPriority, enumName: 'JobPriority' })
  priority: JobPriority;

  @ApiProperty({ type: String, nullable: true, description: 'Owner; null for system jobs' })
  tenantId: string | null;

  @ApiProperty({ type: String, nullable: true })
  createdBy: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "The type's summary fields joined by a middle dot (an upload: file name · dataset); null for a type without any",
    example: 'march statement.csv · transactions',
  })
  summary: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 })
  progress: number;

  @ApiProperty({ type: String, nullable: true })
  progressMessage: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage: string | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  attempts: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  maxAttempts: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: Date | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  parentId: string | null;
}

/** `GET /jobs`, `GET /jobs/active`. */
export class JobPage extends PageBody {
  @ApiProperty({ type: [JobListItemView] })
  items: JobListItemView[];
}

/** A count per status, every status listed (0 included). */
export class StatusCounts implements Record<JobStatus, number> {
  @ApiProperty({ type: 'integer', minimum: 0 }) PENDING: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) QUEUED: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) PROCESSING: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) RETRYING: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) COMPLETED: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) FAILED: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) CANCELLED: number;
}

/** One type's jobs in the window. */
export class TypeStats {
  @ApiProperty({ type: 'integer', minimum: 0 })
  total: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer', minimum: 0 },
    description: 'Count per status (JobStatus), only the statuses that occur',
    example: { COMPLETED: 12, FAILED: 1 },
  })
  byStatus: Record<string, number>;
}

/** `GET /jobs/stats`. */
@ApiExtraModels(TypeStats)
export class JobStatsView implements JobStats {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The window, in days' })
  days: number;

  @ApiProperty({ type: String, format: 'date-time', description: 'Start of the window' })
  since: Date;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Jobs created in the window' })
  total: number;

  @ApiProperty({ type: StatusCounts })
  byStatus: Record<string, number>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(TypeStats) },
    description: 'Per job type (only types with jobs in the window)',
  })
  byType: Record<string, TypeStats>;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean completedAt - startedAt of the COMPLETED jobs, in seconds; null when none',
  })
  averageDurationSeconds: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 1,
    description: 'COMPLETED / (COMPLETED + FAILED), 4 decimals; null when none has ended so',
  })
  successRate: number | null;

  @ApiProperty({
    type: Number,
    minimum: 0,
    description: 'Sum of completedAt - startedAt over the ended jobs that started, in seconds',
  })
  totalProcessingSeconds: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Jobs not ended now (PENDING, QUEUED, PROCESSING, RETRYING), whenever created',
  })
  active: number;
}
