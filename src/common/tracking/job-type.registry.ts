import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import {
  DEFAULT_HARD_TIME_LIMIT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SOFT_TIME_LIMIT_MS,
  JobTypeDefinition,
} from './job-type';
import { TrackedJob } from './tracked-job.entity';

export type ResolvedJobType<T extends TrackedJob = TrackedJob> = Required<
  Omit<JobTypeDefinition<T>, 'uniqueKey' | 'eventAlias' | 'summaryFields'>
> &
  Pick<JobTypeDefinition<T>, 'uniqueKey' | 'eventAlias' | 'summaryFields'>;

export interface RegisteredJobType<T extends TrackedJob = TrackedJob> {
  definition: ResolvedJobType<T>;
  queue: Queue;
  /** Called by retention once rows are deleted (committed), to remove their stored files. */
  afterDelete?: (jobs: T[]) => Promise<void>;
}

export function resolveJobType<T extends TrackedJob>(
  def: JobTypeDefinition<T>,
): ResolvedJobType<T> {
  return {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    softTimeLimitMs: DEFAULT_SOFT_TIME_LIMIT_MS,
    hardTimeLimitMs: DEFAULT_HARD_TIME_LIMIT_MS,
    concurrency: 1,
    ...def,
  };
}

/** Every job type of the app, registered by its feature's service; the crons and the jobs API walk it. */
@Injectable()
export class JobTypeRegistry {
  private readonly types = new Map<string, RegisteredJobType>();

  register<T extends TrackedJob>(entry: RegisteredJobType<T>): void {
    const { type } = entry.definition;
    if (this.types.has(type)) throw new Error(`job type "${type}" is registered twice`);
    this.types.set(type, entry as unknown as RegisteredJobType);
  }

  get(type: string): RegisteredJobType | undefined {
    return this.types.get(type);
  }

  all(): RegisteredJobType[] {
    return [...this.types.values()];
  }
}
