import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller';
import { JobSearchService } from './job-search.service';

@Module({ controllers: [JobsController], providers: [JobSearchService] })
export class JobsModule {}
