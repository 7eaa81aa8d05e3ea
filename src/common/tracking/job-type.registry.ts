import { Injectable, Type } from '@nestjs/common';
import type { Queue } from 'bullmq';
import {
  DEFAULT_HARD_TIME_LIMIT_MS,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SOFT_TIME_LIMIT_MS,
  JobProcessor,
  JobTypeDefinition,
} from './job-type';
import { TrackedJob } from './tracked-job.entity';

export type ResolvedJobType<T extends TrackedJob = TrackedJob> = Required<
  Omit<JobTypeDefinition<T>, 'uniqueKey' | 'uniqueWhileActive' | 'eventAlias' | 'summaryFields'>
> &
  Pick<JobTypeDefinition<T>, 'uniqueKey' | 'uniqueWhileActive' | 'eventAlias' | 'summaryFields'>;

export interface RegisteredJobType<T extends TrackedJob = TrackedJob> {
  definition: ResolvedJobType<T>;
  queue: Queue;
  /** The class that runs the type's jobs; start-up checks it is provided exactly once. */
  processorClass: Type<JobProcessor<T>>;
  /** Its instance, set at start-up (before any worker starts). */
  processor?: JobProcessor<T>;
}

export function resolveJobType<T extends TrackedJob>(
  def: JobTypeDefinition<T>,
): ResolvedJobType<T> {
  return {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    softTimeLimitMs: DEFAULT_SOFT_TIME_LIMIT_MS,
    hardTimeLimitMs: DEFAULT_HARD_TIME_LIMIT_MS,
    concurrency: 1,
    // An option left undefined (e.g. from an unset setting) keeps its default.
    ...(Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined)) as typeof def),
  };
}

/**
 * Every job type of the app, registered by `JobTypeModule.register()`; the workers, the
 * crons, live progress and the jobs API walk it.
 */
@Injectable()
export class JobTypeRegistry {
  private readonly types = new Map<string, RegisteredJobType>();
  /** Declarations refused (a type twice, a queue shared); start-up stops listing them all. */
  readonly problems: string[] = [];

  /** Keeps the first registration of a type or a queue (one queue per type); notes others. */
  register<T extends TrackedJob>(entry: RegisteredJobType<T>): RegisteredJobType<T> {
    const { type, queue } = entry.definition;
    const sharing = this.all().find((t) => t.definition.queue === queue);
    if (this.types.has(type)) this.problems.push(`job type "${type}" is registered twice`);
    else if (sharing) {
      const other = sharing.definition.type;
      this.problems.push(
        `job type "${type}" uses queue "${queue}", already used by job type "${other}"`,
      );
    } else this.types.set(type, entry as unknown as RegisteredJobType);
    return entry;
  }

  get(type: string): RegisteredJobType | undefined {
    return this.types.get(type);
  }

  all(): RegisteredJobType[] {
    return [...this.types.values()];
  }
}
