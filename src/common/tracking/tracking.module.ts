import { Global, Module } from '@nestjs/common';
import { CancelBus } from './cancel-bus';
import { JobMetrics } from './job-metrics';
import { JobOperations } from './job-operations';
import { JobTypeRegistry } from './job-type.registry';
import { ProcessorDeps } from './tracking-deps';
import { TrackingStore } from './tracking-store';

/** The tracking base, shared by every job type's module. */
@Global()
@Module({
  providers: [TrackingStore, JobTypeRegistry, CancelBus, JobOperations, ProcessorDeps, JobMetrics],
  exports: [TrackingStore, JobTypeRegistry, CancelBus, JobOperations, ProcessorDeps, JobMetrics],
})
export class TrackingModule {}
