import { Module } from '@nestjs/common';
import { ProgressGateway } from './progress.gateway';

/** Live progress over Socket.IO (namespace /progress). */
@Module({ providers: [ProgressGateway] })
export class ProgressModule {}
