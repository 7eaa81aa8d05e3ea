import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { JobOperations } from '../../../src/common/tracking/job-operations';
import { JobTypeDefinition } from '../../../src/common/tracking/job-type';
import { TrackingService } from '../../../src/common/tracking/tracking.service';
import { TestJob } from './test-job.entity';
import { TEST_JOB_DEFINITION, TEST_QUEUE } from './test-job.constants';

@Injectable()
export class TestJobService extends TrackingService<TestJob> {
  constructor(
    ops: JobOperations,
    @InjectQueue(TEST_QUEUE) queue: Queue,
    @Inject(TEST_JOB_DEFINITION) definition: JobTypeDefinition<TestJob>,
  ) {
    super(ops, definition, queue);
  }

  /** Files "owned" by deleted rows, recorded so retention's hook is observable. */
  readonly deletedByRetention: string[] = [];

  protected override async afterDelete(jobs: TestJob[]): Promise<void> {
    this.deletedByRetention.push(...jobs.map((j) => j.id));
  }
}
