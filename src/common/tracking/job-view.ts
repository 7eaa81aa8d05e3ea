import { wrap } from '@mikro-orm/core';
import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ApiOpenSchema } from '../http/api-schema';
import { AttemptOutcome, JobAttempt } from './job-attempt.entity';
import { JobPriority, JobStatus } from './job-status';
import { TrackedJob } from './tracked-job.entity';

/**
 * The response types of jobs, and the functions that map rows to them: what the functions
 * return is typed by the classes the OpenAPI document is built from, so the two cannot part.
 */

/** The tracking fields of a job of any type, as every job answer shows them. */
@ApiSchema({ description: 'A job: its tracking fields and its type' })
export class JobView {
  @ApiProperty({ format: 'uuid', description: 'UUID v7; also the BullMQ job id' })
  id: string;

  @ApiProperty({ example: 'upload', description: 'The job type' })
  type: string;

  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus' })
  status: JobStatus;

  @ApiProperty({ enum: JobPriority, enumName: 'JobPriority' })
  priority: JobPriority;

  @ApiProperty({ type: String, nullable: true, description: 'Owner; null for system jobs' })
  tenantId: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The `sub` of the creator' })
  createdBy: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  startedAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: Date | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: "Attempts started over the job's life" })
  attempts: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Attempts it may start' })
  maxAttempts: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The BullMQ job that holds (or last held) it; equal to `id` but for a duplicate',
  })
  queueJobId: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 })
  progress: number;

  @ApiProperty({ type: String, nullable: true })
  progressMessage: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The last error' })
  errorMessage: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: "The last error's class, cause and domain details (never a stack trace)",
  })
  errorDetails: Record<string, unknown> | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Summary written on completion (and on cancellation: what was done)',
  })
  result: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true })
  cancelledBy: string | null;

  @ApiProperty({ type: String, nullable: true })
  cancelReason: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Parent job (a flow)' })
  parentId: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The parent job's type" })
  parentType: string | null;
}

/** A job of any type as the jobs API shows it: the tracking fields, then the type's own. */
@ApiOpenSchema(
  "A job of any type: its tracking fields, then its type's own fields (an upload's dataset, counts...)",
)
export class AnyJobView extends JobView {
  [typeField: string]: unknown;
}

/** One attempt of a job. */
export class JobAttemptView {
  @ApiProperty({ type: 'integer', minimum: 1, description: '1, 2, 3... over the job’s life' })
  attempt: number;

  @ApiProperty()
  workerHost: string;

  @ApiProperty({ type: 'integer' })
  workerPid: number;

  @ApiProperty({ type: String, format: 'date-time' })
  startedAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finishedAt: Date | null;

  @ApiProperty({ enum: AttemptOutcome, enumName: 'AttemptOutcome' })
  outcome: AttemptOutcome;

  @ApiProperty({ type: String, nullable: true })
  errorClass: string | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage: string | null;
}

/** `GET /jobs/{id}`: the job of any type, with every attempt. */
@ApiOpenSchema(
  "A job of any type with every attempt: its tracking fields, its type's own fields and attemptHistory",
)
export class JobDetailView extends AnyJobView {
  @ApiProperty({ type: [JobAttemptView] })
  attemptHistory: JobAttemptView[];
}

/** The tracking fields of `job`; never a stack trace. */
export function jobView(type: string, job: TrackedJob): JobView {
  const details = job.errorDetails ? { ...job.errorDetails } : null;
  if (details) delete details.stack;
  return {
    id: job.id,
    type,
    status: job.status,
    priority: job.priority,
    tenantId: job.tenantId,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    completedAt: job.completedAt,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    queueJobId: job.queueJobId,
    progress: job.progress,
    progressMessage: job.progressMessage,
    errorMessage: job.errorMessage,
    errorDetails: details,
    result: job.result,
    cancelledBy: job.cancelledBy,
    cancelReason: job.cancelReason,
    parentId: job.parentId,
    parentType: job.parentType,
  };
}

/** A job of any type: its tracking fields, and its own fields as its entity serializes them. */
export function anyJobView(type: string, job: TrackedJob): AnyJobView {
  return { ...(wrap(job).toObject() as Record<string, unknown>), ...jobView(type, job) };
}

/** `GET /jobs/{id}`: the job with every attempt, in order. */
export function jobDetailView(
  type: string,
  job: TrackedJob,
  attempts: JobAttempt[],
): JobDetailView {
  return {
    ...anyJobView(type, job),
    attemptHistory: attempts.map((a) => ({
      attempt: a.attempt,
      workerHost: a.workerHost,
      workerPid: a.workerPid,
      startedAt: a.startedAt,
      finishedAt: a.finishedAt,
      outcome: a.outcome,
      errorClass: a.errorClass,
      errorMessage: a.errorMessage,
    })),
  };
}
