import 'reflect-metadata';
import { runApp } from '../../src/bootstrap';
import { appClock } from '../../src/common/util/clock';
import { TestJob } from './test-job/test-job.entity';
import { TestJobModule, TestJobOptions } from './test-job/test-job.module';

/** The real entry point with the test job type: tests spawn it as a separate process. */
// TEST_CLOCK_AT: the app's clock starts at this instant and runs on from there.
if (process.env.TEST_CLOCK_AT) {
  const start = new Date(process.env.TEST_CLOCK_AT).getTime();
  const t0 = Date.now();
  appClock.now = () => new Date(start + (Date.now() - t0));
}
const options = JSON.parse(process.env.TEST_JOB_OPTIONS ?? '{}') as TestJobOptions;
runApp({ imports: [TestJobModule.forRoot(options)], entities: [TestJob] }).catch((err: unknown) => {
  process.stderr.write(`test app failed to start: ${String(err)}\n`);
  process.exit(1);
});
