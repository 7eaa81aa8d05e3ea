import { Global, Module } from '@nestjs/common';
import { CancelBus } from './cancel-bus';
import { JobOperations } from './job-operations';
import { JobTypeRegistry } from './job-type.registry';
import { ProcessorDeps } from './tracking-deps';
import { TrackingStore } from './tracking-store';

/** The tracking base, shared by every job type's module. */
@Global()
@Module({
  providers: [TrackingStore, JobTypeRegistry, CancelBus, JobOperations, ProcessorDeps],
  exports: [TrackingStore, JobTypeRegistry, CancelBus, JobOperations, ProcessorDeps],
})
export class TrackingModule {}
