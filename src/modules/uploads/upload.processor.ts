import { Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { TrackedProcessor } from '../../common/tracking/tracked-processor';
import { ProcessorDeps } from '../../common/tracking/tracking-deps';
import { DatasetRegistry } from './datasets/dataset-registry';
import { UploadImport } from './upload-import';
import { Upload } from './upload.entity';
import { BULK_POOL, MAX_STORED_ROW_ERRORS, UPLOAD_JOB_TYPE } from './uploads.constants';

/**
 * Imports one stored CSV upload into its dataset (see UploadImport for how). Not `@Processor`:
 * the base creates the worker itself, only where APP_ROLE runs workers.
 */
@Injectable()
export class UploadProcessor extends TrackedProcessor<Upload> {
  constructor(
    deps: ProcessorDeps,
    private readonly datasets: DatasetRegistry,
    @Inject(BULK_POOL) private readonly pool: Pool,
  ) {
    super(deps, { ...UPLOAD_JOB_TYPE, concurrency: deps.config.env.UPLOAD_CONCURRENCY });
  }

  async run(upload: Upload, ctx: JobContext): Promise<Record<string, unknown>> {
    const dataset = this.datasets.get(upload.dataset);
    if (!dataset) throw new NonRetryableError(`dataset "${upload.dataset}" is not registered`);
    const { env } = this.deps.config;
    const rowsImported = this.deps.ops.metrics.rowsImported;
    const started = performance.now();
    const importer = new UploadImport(
      this.pool,
      dataset,
      upload,
      ctx,
      {
        batchRows: env.UPLOAD_BATCH_ROWS,
        maxLineBytes: env.UPLOAD_MAX_LINE_BYTES,
        maxRows: env.UPLOAD_MAX_ROWS,
        maxStoredErrors: MAX_STORED_ROW_ERRORS,
      },
      (rows) => {
        for (const [outcome, n] of Object.entries(rows)) {
          if (n) rowsImported.inc({ dataset: dataset.name, outcome }, n);
        }
      },
    );
    const counts = await importer.run();
    const ms = (n: number) => Math.round(n);
    ctx.logger.info(
      {
        counts,
        totalMs: ms(performance.now() - started),
        writeMs: ms(importer.timings.writeMs),
        readStalledMs: ms(importer.timings.waitMs),
      },
      'upload imported',
    );
    return { counts, dataset: dataset.name, mode: upload.mode };
  }
}
