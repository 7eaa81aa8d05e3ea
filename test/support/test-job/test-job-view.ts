import { ApiProperty } from '@nestjs/swagger';
import { jobView, JobView } from '../../../src/common/tracking/job-view';
import { TestJob, TestScript } from './test-job.entity';

/** A test job as its routes show it: the tracking fields and the test job's own. */
export class TestJobView extends JobView {
  @ApiProperty({ type: String, nullable: true, description: 'Unique domain key, if any' })
  domainKey: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What the job does' })
  script: TestScript;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Executions of run() so far' })
  runs: number;
}

export function testJobView(job: TestJob): TestJobView {
  return { ...jobView('test', job), domainKey: job.domainKey, script: job.script, runs: job.runs };
}
