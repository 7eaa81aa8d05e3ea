import { applyDecorators } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';

export class FieldProblem {
  @ApiProperty({ example: 'reason' }) field: string;
  @ApiProperty({ example: 'reason must be shorter than or equal to 500 characters' })
  message: string;
}

/** RFC 9457 problem details, as every error of the API is answered. */
export class ProblemDetailsBody {
  @ApiProperty({ example: 'https://httpstatuses.io/404' }) type: string;
  @ApiProperty({ example: 'Not Found' }) title: string;
  @ApiProperty({ example: 404 }) status: number;
  @ApiPropertyOptional({ example: 'job 0196... was not found' }) detail?: string;
  @ApiPropertyOptional({ example: '/api/v1/jobs/0196...' }) instance?: string;
  @ApiPropertyOptional({ description: 'Domain error code, e.g. CONFLICT' }) code?: string;
  @ApiPropertyOptional({ type: [FieldProblem], description: 'Every invalid field (400)' })
  errors?: FieldProblem[];
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

/** Documents error answers as application/problem+json. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsBody, FieldProblem),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: MEANING[status] ?? 'Error',
        content: {
          'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDetailsBody) } },
        },
      }),
    ),
  );
}
