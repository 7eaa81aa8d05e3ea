import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { ROOT_LOGGER } from '../logging/root-logger';
import { CancelBus } from './cancel-bus';
import { JobOperations } from './job-operations';

/** What every TrackedProcessor needs, injected as one so subclasses stay one-line constructors. */
@Injectable()
export class ProcessorDeps {
  constructor(
    readonly ops: JobOperations,
    readonly cancelBus: CancelBus,
    readonly config: AppConfig,
    @Inject(ROOT_LOGGER) readonly logger: Logger,
  ) {}
}
