import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CancelBus } from './cancel-bus';
import { JobLookup } from './job-lookup';
import { JobMetrics } from './job-metrics';
import { JobOperations } from './job-operations';
import { JobTypeRegistry } from './job-type.registry';
import { JobWorkers } from './job-workers';
import { TrackingStore } from './tracking-store';

/** The tracking base, shared by every job type's module (see JobTypeModule.register). */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    TrackingStore,
    JobTypeRegistry,
    CancelBus,
    JobLookup,
    JobOperations,
    JobMetrics,
    JobWorkers,
  ],
  exports: [TrackingStore, JobTypeRegistry, CancelBus, JobLookup, JobOperations, JobMetrics],
})
export class TrackingModule {}
