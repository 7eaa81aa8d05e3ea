import { DynamicModule, Module } from '@nestjs/common';
import { JobTypeDefinition } from '../../../src/common/tracking/job-type';
import { JobTypeModule } from '../../../src/common/tracking/job-type.module';
import { TestJobController } from './test-job.controller';
import { TestJob } from './test-job.entity';
import { TEST_JOB_TYPE } from './test-job.constants';
import { TestJobProcessor } from './test-job.processor';
import { TestJobService } from './test-job.service';

export type TestJobOptions = Partial<Omit<JobTypeDefinition<TestJob>, 'entity' | 'queue' | 'type'>>;

/** A job type built on the tracking base exactly as a feature module would be. */
@Module({})
export class TestJobModule {
  static forRoot(options: TestJobOptions = {}): DynamicModule {
    return {
      module: TestJobModule,
      imports: [
        JobTypeModule.register({ ...TEST_JOB_TYPE, ...options }, { processor: TestJobProcessor }),
      ],
      providers: [TestJobService, TestJobProcessor],
      controllers: [TestJobController],
      exports: [TestJobService],
    };
  }
}
