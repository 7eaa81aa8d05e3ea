import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsEnum,
  IsOptional,
  IsString,
  Length,
  Matches,
  registerDecorator,
  ValidationOptions,
} from 'class-validator';
import { controlCharacterProblem } from '../../../common/http/input-rules';
import { JobPriority } from '../../../common/tracking/job-status';
import { UploadMode } from '../upload.entity';

const NOT_JSON = Symbol('not JSON');
const MAX_MAPPED_COLUMNS = 200;

/** A JSON object of CSV header → dataset column, both non-empty strings of at most 200 characters. */
function IsColumnMapping(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isColumnMapping',
      target: target.constructor,
      propertyName: property,
      options: {
        message:
          'must be a JSON object mapping CSV headers to dataset columns, e.g. {"Booking date":"booked_at"}',
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return (
            entries.length <= MAX_MAPPED_COLUMNS &&
            entries.every(
              ([k, v]) =>
                k.length > 0 &&
                k.length <= 200 &&
                typeof v === 'string' &&
                v.length <= 200 &&
                // The input rule also holds inside the JSON text (a "\u0000" escape).
                !controlCharacterProblem(k, 'body') &&
                !controlCharacterProblem(v, 'body'),
            )
          );
        },
      },
    });
}

/** The multipart fields of `POST /uploads` besides the file. */
export class UploadFields {
  @ApiProperty({
    description: 'Dataset to import into (see GET /api/v1/datasets)',
    example: 'transactions',
  })
  @IsString()
  @Length(1, 64)
  dataset!: string;

  @ApiProperty({
    enum: UploadMode,
    description:
      'strict: any invalid row fails the upload, nothing written; partial: valid rows written, invalid ones reported',
  })
  @IsEnum(UploadMode)
  mode!: UploadMode;

  @ApiProperty({
    required: false,
    type: 'string',
    description: 'JSON object: CSV header → dataset column, for files whose headers differ',
    example: '{"Booking date":"booked_at","Amount (EUR)":"amount"}',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return NOT_JSON;
    }
  })
  @IsColumnMapping()
  columnMapping?: Record<string, string>;

  @ApiProperty({ required: false, enum: JobPriority, default: JobPriority.NORMAL })
  @IsOptional()
  @IsEnum(JobPriority)
  priority?: JobPriority;

  @ApiProperty({
    required: false,
    default: ',',
    description: 'Field delimiter: one punctuation character, or "tab"',
    example: ';',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'tab' || value === '\\t' ? '\t' : value))
  @IsString()
  @Matches(/^(\t|[!#-/:-@[-`{-~])$/, {
    message: 'must be one punctuation character (not a quote) or "tab"',
  })
  delimiter?: string;
}

/** The whole multipart body as OpenAPI shows it. */
export class UploadRequestBody extends UploadFields {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The CSV file (UTF-8)' })
  file!: unknown;
}
