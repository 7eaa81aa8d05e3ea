import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
  OpenAPIObject,
} from '@nestjs/swagger';
import { JobStatus } from '../tracking/job-status';
import { DOMAIN_ERROR_STATUS, DomainErrorCode } from './domain-error';

export class FieldProblem {
  @ApiProperty({ example: 'reason' }) field: string;
  @ApiProperty({ example: 'reason must be shorter than or equal to 500 characters' })
  message: string;
}

/**
 * RFC 9457 problem details, as every error of the API is answered, with every extension
 * member the API sends.
 */
export class ProblemDetailsBody {
  @ApiProperty({ example: 'https://httpstatuses.io/404' }) type: string;
  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 }) status: number;
  @ApiPropertyOptional({ example: 'job 0196... was not found' }) detail?: string;
  @ApiPropertyOptional({ example: '/api/v1/jobs/0196...' }) instance?: string;
  @ApiPropertyOptional({
    enum: Object.keys(DOMAIN_ERROR_STATUS),
    enumName: 'DomainErrorCode',
    description: 'Domain error code',
  })
  code?: DomainErrorCode;
  @ApiPropertyOptional({ type: [FieldProblem], description: 'Every invalid field (400)' })
  errors?: FieldProblem[];
  @ApiPropertyOptional({
    enum: JobStatus,
    enumName: 'JobStatus',
    description: "The job's status now (409)",
  })
  jobStatus?: JobStatus;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'The job in the way (409), e.g. the running slot',
  })
  jobId?: string;
  @ApiPropertyOptional({
    description: 'What is wrong with the CSV file (422), e.g. MISSING_COLUMN',
    example: 'MISSING_COLUMN',
  })
  csvError?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Line of the file (422)' })
  line?: number;
  @ApiPropertyOptional({ description: 'Column of the file (422)' })
  column?: string;
  @ApiPropertyOptional({ type: 'integer', description: 'Largest file accepted, in bytes (413)' })
  maxBytes?: number;
}

const MEANING: Record<number, string> = {
  400: 'Invalid parameters or body; `errors` names each field',
  401: 'Missing, malformed, forged or expired bearer token',
  403: 'The caller lacks a required role',
  404: 'Not found (also: another tenant’s resource)',
  409: 'The job’s state forbids this; `jobStatus` tells it',
  413: 'The request body is too large',
  415: 'The body is not in the media type this endpoint takes',
  422: 'The content cannot be processed (e.g. a CSV without a required column); `csvError` gives the code',
  503: 'A dependency (PostgreSQL, Redis) is unreachable',
};

const problemContent = () => ({
  'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsBody) } },
});

/** Documents error answers as application/problem+json. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsBody, FieldProblem),
    ...statuses.map((status) =>
      ApiResponse({ status, description: MEANING[status] ?? 'Error', content: problemContent() }),
    ),
  );
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Refusals of any request, before any route is reached (bootstrap.ts: Node's HTTP parser, the
 * body parsers and the input rule of input-rules.ts), whatever the operation takes.
 */
const REFUSALS: Record<number, string> = {
  400: 'A parameter or body breaks the input rule (a control character, a built-in member name, over 32 levels of nesting), or the body is not valid JSON; `errors` names the field',
  413: 'The request body is over the limit (100 KB of JSON or form data)',
  415: 'The body is in a charset the parsers do not read (JSON is UTF-8)',
  431: 'The request line and headers are over 16 KB',
};

/**
 * Adds the refusals every request may meet (REFUSALS) to each operation that does not
 * document that status itself.
 */
export function documentRefusals(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const method of METHODS) {
      const responses = item[method]?.responses;
      if (!responses) continue;
      for (const [status, description] of Object.entries(REFUSALS)) {
        responses[status] ??= { description, content: problemContent() };
      }
    }
  }
  return document;
}
