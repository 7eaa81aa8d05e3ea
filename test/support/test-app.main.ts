import 'reflect-metadata';
import { runApp } from '../../src/bootstrap';
import { TestJob } from './test-job/test-job.entity';
import { TestJobModule, TestJobOptions } from './test-job/test-job.module';

/** The real entry point with the test job type: tests spawn it as a separate process. */
const options = JSON.parse(process.env.TEST_JOB_OPTIONS ?? '{}') as TestJobOptions;
runApp({ imports: [TestJobModule.forRoot(options)], entities: [TestJob] }).catch((err: unknown) => {
  process.stderr.write(`test app failed to start: ${String(err)}\n`);
  process.exit(1);
});
