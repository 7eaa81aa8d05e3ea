import { ProgressCounts } from '../tracking/job-context';
import { JobStatus } from '../tracking/job-status';
import { TrackedJob } from '../tracking/tracked-job.entity';

/** The one payload of every live event (job.progress, job.completed, ...), and of the snapshot. */
export interface ProgressEvent {
  id: string;
  type: string;
  status: JobStatus;
  progress: number;
  message: string | null;
  counts?: ProgressCounts;
  error?: string;
}

export const TERMINAL_EVENT: Partial<Record<JobStatus, 'completed' | 'failed' | 'cancelled'>> = {
  [JobStatus.COMPLETED]: 'completed',
  [JobStatus.FAILED]: 'failed',
  [JobStatus.CANCELLED]: 'cancelled',
};

/** The event (or snapshot) for a row as PostgreSQL has it. */
export function eventFromRow(type: string, job: TrackedJob): ProgressEvent {
  const counts = (job.result as { counts?: ProgressCounts } | null)?.counts;
  return {
    id: job.id,
    type,
    status: job.status,
    progress: job.progress,
    message: job.progressMessage,
    ...(counts ? { counts } : {}),
    ...(job.errorMessage ? { error: job.errorMessage } : {}),
  };
}
