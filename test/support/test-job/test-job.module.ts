import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { JobTypeDefinition } from '../../../src/common/tracking/job-type';
import { TestJobController } from './test-job.controller';
import { TestJob } from './test-job.entity';
import { TEST_JOB_DEFINITION, TEST_QUEUE } from './test-job.constants';
import { TestJobProcessor } from './test-job.processor';
import { TestJobService } from './test-job.service';

export type TestJobOptions = Partial<Omit<JobTypeDefinition<TestJob>, 'entity' | 'queue' | 'type'>>;

/** A job type built on the tracking base exactly as a feature module would be. */
@Module({})
export class TestJobModule {
  static forRoot(options: TestJobOptions = {}): DynamicModule {
    const definition: JobTypeDefinition<TestJob> = {
      type: 'test',
      queue: TEST_QUEUE,
      entity: TestJob,
      uniqueKey: ['domainKey'],
      concurrency: 4,
      ...options,
    };
    return {
      module: TestJobModule,
      imports: [
        BullModule.registerQueue({ name: TEST_QUEUE }),
        BullBoardModule.forFeature({ name: TEST_QUEUE, adapter: BullMQAdapter }),
      ],
      providers: [
        { provide: TEST_JOB_DEFINITION, useValue: definition },
        TestJobService,
        TestJobProcessor,
      ],
      controllers: [TestJobController],
      exports: [TestJobService],
    };
  }
}
