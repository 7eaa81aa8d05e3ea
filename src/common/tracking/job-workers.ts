import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { ROOT_LOGGER } from '../logging/root-logger';
import { AttemptRunner } from './attempt-runner';
import { CancelBus } from './cancel-bus';
import { JobMetrics } from './job-metrics';
import { JobOperations } from './job-operations';
import { JobProcessor } from './job-type';
import { JobTypeRegistry, RegisteredJobType } from './job-type.registry';
import { WorkerHost } from './worker-host';

/**
 * Start-up check and worker hosting for every registered type: each type's processor must
 * be provided exactly once (or start-up stops, naming the type); where APP_ROLE runs
 * workers, each type gets its worker; on shutdown all of them drain together.
 */
@Injectable()
export class JobWorkers implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly hosts: WorkerHost<never>[] = [];
  private stopping = false;
  private readonly logger: Logger;

  constructor(
    private readonly registry: JobTypeRegistry,
    private readonly discovery: DiscoveryService,
    private readonly ops: JobOperations,
    private readonly cancelBus: CancelBus,
    private readonly metrics: JobMetrics,
    private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: JobWorkers.name });
  }

  /** Stops start-up, listing every problem at once, when a type is not declared right. */
  onModuleInit(): void {
    const problems = [...this.registry.problems];
    const providers = this.discovery.getProviders();
    for (const type of this.registry.all()) {
      const found = providers.filter((p) => p.metatype === type.processorClass && p.instance);
      if (found.length === 1) type.processor = found[0].instance as JobProcessor;
      else {
        const { name } = type.processorClass;
        problems.push(
          `job type "${type.definition.type}": its processor ${name} is provided ${found.length} times; ` +
            'provide it exactly once, in the feature module that registers the type',
        );
      }
    }
    if (problems.length) throw new Error(`job types declared wrong: ${problems.join('; ')}`);
  }

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.cancelBus.start();
    for (const type of this.registry.all()) this.host(type).start();
  }

  /** SIGTERM: every type's worker stops and drains at once (one grace period in all). */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.hosts.map((host) => host.stop()));
  }

  /** The BullMQ worker of a type in this process (undefined where workers do not run). */
  workerOf(type: string) {
    return this.hosts.find((h) => h.type.definition.type === type)?.worker;
  }

  private host(type: RegisteredJobType): WorkerHost<never> {
    const { env } = this.config;
    const log = this.logger.child({ context: 'WorkerHost', jobType: type.definition.type });
    const runner = new AttemptRunner(
      type,
      {
        store: this.ops.store,
        children: (id) => this.ops.lookup.children(id),
        progressWriteIntervalMs: env.PROGRESS_WRITE_INTERVAL_MS,
        cancelBus: this.cancelBus,
        metrics: this.metrics,
        stopping: () => this.stopping,
      },
      log,
    );
    const host = new WorkerHost(type, runner, env, log) as WorkerHost<never>;
    this.hosts.push(host);
    return host;
  }
}
