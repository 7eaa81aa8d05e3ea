import { JobTypeDefinition } from '../../../src/common/tracking/job-type';
import { TestJob } from './test-job.entity';

export const TEST_QUEUE = 'test-jobs';

/** The test job type; tests vary its limits through `TestJobModule.forRoot(options)`. */
export const TEST_JOB_TYPE: JobTypeDefinition<TestJob> = {
  type: 'test',
  queue: TEST_QUEUE,
  entity: TestJob,
  uniqueKey: ['domainKey'],
  concurrency: 4,
};
