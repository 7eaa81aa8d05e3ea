import { Injectable } from '@nestjs/common';
import { JobOperations } from '../../../src/common/tracking/job-operations';
import { InjectJobType } from '../../../src/common/tracking/job-type.module';
import { RegisteredJobType } from '../../../src/common/tracking/job-type.registry';
import { TrackingService } from '../../../src/common/tracking/tracking.service';
import { TestJob } from './test-job.entity';
import { TEST_JOB_TYPE } from './test-job.constants';

@Injectable()
export class TestJobService extends TrackingService<TestJob> {
  constructor(ops: JobOperations, @InjectJobType(TEST_JOB_TYPE) type: RegisteredJobType<TestJob>) {
    super(ops, type);
  }
}
