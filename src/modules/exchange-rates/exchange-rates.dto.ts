import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsIsoDate } from '../../common/http/is-iso-date';
import { PageBody } from '../../common/http/api-schema';
import { PageQuery } from '../../common/http/query';
import { AnyJobView } from '../../common/tracking/job-view';
import { JobStatus } from '../../common/tracking/job-status';
import type { ExchangeRateUpdate, RatesFileKind } from './exchange-rate-update.entity';

/** `POST /exchange-rates/updates`: one day, or a range (exactly one of the two forms). */
export class CreateRatesUpdateDto {
  @ApiPropertyOptional({ format: 'date', example: '2024-02-27', description: 'One day' })
  @IsOptional()
  @IsIsoDate()
  date?: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2023-11-30',
    description: 'First day of a range (with `to`)',
  })
  @IsOptional()
  @IsIsoDate()
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2024-02-27',
    description: 'Last day of a range (with `from`)',
  })
  @IsOptional()
  @IsIsoDate()
  to?: string;
}

/** `GET /exchange-rates/updates`. */
export class RatesUpdateQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'date', description: 'Days on or after' })
  @IsOptional()
  @IsIsoDate()
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Days on or before' })
  @IsOptional()
  @IsIsoDate()
  to?: string;
}

/** The jobs doing the work: a day's job, or the one range job. */
export class RatesUpdateJobs {
  @ApiProperty({
    type: [AnyJobView],
    description: 'Each as `GET /api/v1/jobs/{id}` shows it (without the attempts)',
  })
  jobs: AnyJobView[];
}

/** One day's tracking row. */
export class RatesUpdateView {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date', example: '2024-02-27' })
  updateDate: string;

  @ApiProperty({ example: 'EUR' })
  baseCurrency: string;

  @ApiProperty({ enum: JobStatus, enumName: 'JobStatus' })
  status: JobStatus;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Rates stored' })
  successCount: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Rates published (and wanted)' })
  totalCount: number;

  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['daily', 'hist-90d', 'hist'],
    description: 'The ECB file the rates came from',
  })
  source: RatesFileKind | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'What happened: "closed: <why>", "not published yet: …", currencies missing',
    example: 'closed: Good Friday (TARGET holiday)',
  })
  notes: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The last error' })
  errorMessage: string | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  attempts: number;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The range job that wrote it',
  })
  parentId: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt: Date | null;
}

export class RatesUpdatePage extends PageBody {
  @ApiProperty({ type: [RatesUpdateView] })
  items: RatesUpdateView[];
}

export function ratesUpdateView(row: ExchangeRateUpdate): RatesUpdateView {
  return {
    id: row.id,
    updateDate: row.updateDate,
    baseCurrency: row.baseCurrency,
    status: row.status,
    successCount: row.successCount,
    totalCount: row.totalCount,
    source: row.source,
    notes: row.notes,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    parentId: row.parentId,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
  };
}
