import { Inject, Injectable } from '@nestjs/common';
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import { JobContext } from '../../common/tracking/job-context';
import { NonRetryableError } from '../../common/tracking/job-errors';
import { JobMetrics } from '../../common/tracking/job-metrics';
import { JobProcessor } from '../../common/tracking/job-type';
import { AppConfig } from '../../config/app-config';
import { DatasetRegistry } from './datasets/dataset-registry';
import { UploadImport } from './upload-import';
import { Upload } from './upload.entity';
import { BULK_POOL, MAX_STORED_ROW_ERRORS } from './uploads.constants';

/** Imports one stored CSV upload into its dataset (see UploadImport for how). */
@Injectable()
export class UploadProcessor implements JobProcessor<Upload> {
  constructor(
    private readonly config: AppConfig,
    private readonly metrics: JobMetrics,
    private readonly datasets: DatasetRegistry,
    @Inject(BULK_POOL) private readonly pool: Pool,
  ) {}

  async run(upload: Upload, ctx: JobContext<Upload>): Promise<Record<string, unknown>> {
    const dataset = this.datasets.get(upload.dataset);
    if (!dataset) throw new NonRetryableError(`dataset "${upload.dataset}" is not registered`);
    const { env } = this.config;
    const { rowsImported } = this.metrics;
    const started = performance.now();
    const importer = new UploadImport(
      this.pool,
      dataset,
      upload,
      ctx,
      {
        batchRows: env.UPLOAD_BATCH_ROWS,
        copyChunkRows: env.UPLOAD_COPY_CHUNK_ROWS,
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
        ...importer.paths,
      },
      'upload imported',
    );
    return { counts, dataset: dataset.name, mode: upload.mode };
  }

  /** Retention deleted these uploads (their errors went with them): remove their files. */
  async afterDelete(uploads: Upload[]): Promise<void> {
    await Promise.all(uploads.map((u) => rm(u.storedPath, { force: true })));
  }
}
