import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/http/domain-error';
import { ROOT_LOGGER } from '../../common/logging/root-logger';
import { JobOperations } from '../../common/tracking/job-operations';
import { InjectJobType } from '../../common/tracking/job-type.module';
import { RegisteredJobType } from '../../common/tracking/job-type.registry';
import { JobPriority } from '../../common/tracking/job-status';
import { TrackingService } from '../../common/tracking/tracking.service';
import { AppConfig } from '../../config/app-config';
import { CsvFormatError } from './csv/csv-format-error';
import { readCsvRows } from './csv/csv-row-reader';
import { DatasetDefinition, requiredColumnNames } from './datasets/dataset';
import { DatasetRegistry } from './datasets/dataset-registry';
import { UploadFields } from './dto/upload-fields.dto';
import { receiveUpload, ReceivedFile } from './upload-receiver';
import { RowErrorPage } from './upload-view';
import { Upload } from './upload.entity';
import { UploadRowError } from './upload-row-error.entity';
import { MAX_UPLOAD_FIELD_BYTES, UPLOAD_JOB_TYPE } from './uploads.constants';

/** The producer of uploads: receives files, creates their rows, and serves their errors. */
@Injectable()
export class UploadsService extends TrackingService<Upload> {
  private readonly logger: Logger;

  constructor(
    ops: JobOperations,
    @InjectJobType(UPLOAD_JOB_TYPE) type: RegisteredJobType<Upload>,
    private readonly config: AppConfig,
    readonly datasets: DatasetRegistry,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    super(ops, type);
    this.logger = root.child({ context: UploadsService.name });
  }

  /**
   * Streams the request's file to disk, checks the fields and the file's header, then
   * creates and enqueues the upload. Nothing is kept when any of it fails.
   */
  async receive(
    req: Request,
    principal: Principal,
    parseFields: (raw: Record<string, string>) => Promise<UploadFields>,
  ): Promise<Upload> {
    const { env } = this.config;
    const { fields: raw, file } = await receiveUpload(req, env.UPLOAD_DIR, {
      maxBytes: env.UPLOAD_MAX_BYTES,
      maxFieldBytes: MAX_UPLOAD_FIELD_BYTES,
    });
    try {
      const fields = await parseFields(raw);
      const dataset = this.datasets.forWriting(fields.dataset, principal);
      await this.checkHead(file, dataset, fields);
      const owner = dataset.owner === 'tenant' ? principal : { ...principal, tenant: null };
      const { job } = await this.createAndEnqueue(
        {
          dataset: dataset.name,
          mode: fields.mode,
          originalFilename: file.originalFilename,
          storedPath: file.path,
          sizeBytes: file.size,
          sha256: file.sha256,
          delimiter: fields.delimiter ?? ',',
          columnMapping: fields.columnMapping ?? null,
        },
        owner,
        { priority: fields.priority ?? JobPriority.NORMAL },
      );
      this.logger.info(
        { jobId: job.id, tenantId: job.tenantId, dataset: dataset.name, sizeBytes: file.size },
        'upload received',
      );
      return job;
    } catch (err) {
      await rm(file.path, { force: true });
      throw err;
    }
  }

  /** Row errors of one upload, in file order. */
  async errors(
    id: string,
    principal: Principal,
    limit: number,
    offset: number,
  ): Promise<RowErrorPage> {
    const upload = await this.findForCaller(id, principal);
    const em = this.ops.store.em();
    const items = await em.find(
      UploadRowError,
      { uploadId: upload.id },
      {
        orderBy: { row: 'asc', id: 'asc' },
        limit,
        offset,
        fields: ['row', 'line', 'column', 'message', 'value'],
      },
    );
    return {
      items: items.map(({ row, line, column, message, value }) => ({
        row,
        line,
        column,
        message,
        value,
      })),
      total: upload.storedErrors,
      invalidRows: upload.counts.invalid,
      limit,
      offset,
    };
  }

  /**
   * Reads the header and the first data row, so a file that cannot be imported at all (empty,
   * binary, wrong delimiter, missing column) is refused now with 422 instead of failing later.
   */
  private async checkHead(file: ReceivedFile, dataset: DatasetDefinition, fields: UploadFields) {
    const rows = readCsvRows(createReadStream(file.path), {
      delimiter: fields.delimiter ?? ',',
      columnMapping: fields.columnMapping,
      requiredColumns: requiredColumnNames(dataset),
      maxLineBytes: this.config.env.UPLOAD_MAX_LINE_BYTES,
    });
    try {
      await rows.next();
    } catch (err) {
      if (!(err instanceof CsvFormatError)) throw err;
      throw new DomainError('UNPROCESSABLE', err.message, {
        csvError: err.code,
        ...(err.line !== undefined ? { line: err.line } : {}),
        ...(err.column !== undefined ? { column: err.column } : {}),
      });
    } finally {
      await rows.return(undefined);
    }
  }
}
