import { Injectable, Module } from '@nestjs/common';
import { AppOptions } from '../src/app.module';
import { createApp } from '../src/bootstrap';
import { JobProcessor } from '../src/common/tracking/job-type';
import { JobTypeModule } from '../src/common/tracking/job-type.module';
import { JobTypeRegistry } from '../src/common/tracking/job-type.registry';
import { TestJob } from './support/test-job/test-job.entity';
import { TEST_JOB_TYPE } from './support/test-job/test-job.constants';
import { TestJobModule } from './support/test-job/test-job.module';
import { cleanupEnv, Env, isolatedEnv } from './utils/test-env';

@Injectable()
class OtherProcessor implements JobProcessor<TestJob> {
  async run() {}
}

/** A second type on the test table, declared like any feature module would. */
const OTHER = { type: 'other', queue: 'other-jobs', entity: TestJob };

describe('declaring a job type', () => {
  let env: Env;
  beforeEach(() => {
    env = isolatedEnv({ APP_ROLE: 'all' });
  });
  afterEach(async () => {
    await cleanupEnv(env);
  });

  /** Boots the app (closing it whatever happens) and returns the registered types. */
  const boot = async (imports: AppOptions['imports']) => {
    const app = await createApp({ env, imports, entities: [TestJob] });
    try {
      await app.init();
      return app
        .get(JobTypeRegistry)
        .all()
        .map((t) => t.definition.type);
    } finally {
      await app.close();
    }
  };

  it('registers a type from its one line, whether or not a service uses it', async () => {
    @Module({
      imports: [JobTypeModule.register(OTHER, { processor: OtherProcessor })],
      providers: [OtherProcessor],
    })
    class OtherModule {}
    expect(await boot([TestJobModule.forRoot(), OtherModule])).toEqual(
      expect.arrayContaining(['test', 'other', 'upload']),
    );
  });

  it('stops start-up when a type is registered twice, naming it', async () => {
    @Module({
      imports: [
        JobTypeModule.register({ ...TEST_JOB_TYPE, queue: 'again' }, { processor: OtherProcessor }),
      ],
      providers: [OtherProcessor],
    })
    class AgainModule {}
    await expect(boot([TestJobModule.forRoot(), AgainModule])).rejects.toThrow(
      'job type "test" is registered twice',
    );
  });

  it('stops start-up when two types share a queue', async () => {
    @Module({
      imports: [
        JobTypeModule.register(
          { ...OTHER, queue: TEST_JOB_TYPE.queue },
          { processor: OtherProcessor },
        ),
      ],
      providers: [OtherProcessor],
    })
    class SharingModule {}
    await expect(boot([TestJobModule.forRoot(), SharingModule])).rejects.toThrow(
      'job type "other" uses queue "test-jobs", already used by job type "test"',
    );
  });

  it('stops start-up when a type has no processor, naming the type and the class', async () => {
    @Module({ imports: [JobTypeModule.register(OTHER, { processor: OtherProcessor })] })
    class NoProcessorModule {}
    await expect(boot([TestJobModule.forRoot(), NoProcessorModule])).rejects.toThrow(
      'job type "other": its processor OtherProcessor is provided 0 times',
    );
  });

  it('stops start-up when its processor is provided twice', async () => {
    @Module({ providers: [OtherProcessor] })
    class SecondCopyModule {}
    @Module({
      imports: [JobTypeModule.register(OTHER, { processor: OtherProcessor }), SecondCopyModule],
      providers: [OtherProcessor],
    })
    class TwiceModule {}
    await expect(boot([TestJobModule.forRoot(), TwiceModule])).rejects.toThrow(
      'job type "other": its processor OtherProcessor is provided 2 times',
    );
  });
});
