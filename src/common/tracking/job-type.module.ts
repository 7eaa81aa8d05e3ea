import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Inject, Module, Type } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../../config/app-config';
import type { EnvironmentVariables } from '../../config/env';
import { JobOperations } from './job-operations';
import { JobProcessor, JobTypeDefinition } from './job-type';
import { JobTypeRegistry, resolveJobType } from './job-type.registry';
import { TrackedJob } from './tracked-job.entity';

export interface JobTypeOptions<T extends TrackedJob> {
  /** The provider (of the same feature module) that runs the type's jobs. */
  processor: Type<JobProcessor<T>>;
  /** Limits read from validated settings, e.g. `(env) => ({ concurrency: env.X })`. */
  configure?: (
    env: Readonly<EnvironmentVariables>,
  ) => Partial<
    Pick<
      JobTypeDefinition<T>,
      'concurrency' | 'maxAttempts' | 'softTimeLimitMs' | 'hardTimeLimitMs'
    >
  >;
}

/** The injection token of a registered type (see `InjectJobType`). */
export function jobTypeToken(definition: Pick<JobTypeDefinition, 'type'>): string {
  return `jobtrack:job-type:${definition.type}`;
}

/** Injects a type's `RegisteredJobType` (resolved definition and queue) into its service. */
export const InjectJobType = (definition: Pick<JobTypeDefinition, 'type'>) =>
  Inject(jobTypeToken(definition));

/**
 * The one line that makes a job type: its queue, its Bull Board view, its place in the
 * registry (jobs API, live progress, maintenance) and its processor. Import it in the
 * feature module and provide the processor there:
 *
 *   imports: [JobTypeModule.register(UPLOAD_JOB_TYPE, { processor: UploadProcessor })],
 *   providers: [UploadsService, UploadProcessor],
 */
@Module({})
export class JobTypeModule {
  static register<T extends TrackedJob>(
    definition: JobTypeDefinition<T>,
    options: JobTypeOptions<T>,
  ): DynamicModule {
    const token = jobTypeToken(definition);
    return {
      module: JobTypeModule,
      imports: [
        BullModule.registerQueue({ name: definition.queue }),
        BullBoardModule.forFeature({ name: definition.queue, adapter: BullMQAdapter }),
      ],
      providers: [
        {
          provide: token,
          inject: [JobTypeRegistry, JobOperations, AppConfig, getQueueToken(definition.queue)],
          useFactory: (
            registry: JobTypeRegistry,
            ops: JobOperations,
            config: AppConfig,
            queue: Queue,
          ) => {
            const resolved = resolveJobType({ ...definition, ...options.configure?.(config.env) });
            ops.watchQueue(resolved.type, queue);
            return registry.register({
              definition: resolved,
              queue,
              processorClass: options.processor,
            });
          },
        },
      ],
      exports: [token],
    };
  }
}
