import { ApiProperty, ApiSchema, ApiSchemaOptions } from '@nestjs/swagger';

/** The security scheme of /metrics in the OpenAPI document: METRICS_TOKEN, when it is set. */
export const METRICS_TOKEN_SCHEME = 'metrics-token';

/**
 * An object schema that also holds properties it does not list (`additionalProperties: true`),
 * e.g. a job shown by the jobs API with its type's own fields. @ApiSchema copies its options
 * into the schema; its type names only `name` and `description`. Response schemas without it
 * are read as closed by the e2e response check (test/utils/openapi-validator.ts).
 */
export function ApiOpenSchema(description: string) {
  return ApiSchema({ description, additionalProperties: true } as ApiSchemaOptions);
}

/** A page of a list: `items`, and `total`, `limit` and `offset` to page on. */
export abstract class PageBody {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Items matching, over every page' })
  total: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000 })
  limit: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  offset: number;
}
