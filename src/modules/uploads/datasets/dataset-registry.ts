import { Injectable } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { isAdmin, Principal } from '../../../common/auth/principal';
import { DomainError } from '../../../common/http/domain-error';
import { DatasetDefinition, TENANT_KEY_COLUMN } from './dataset';

/** A column of a dataset as `GET /datasets` shows it. */
export class DatasetColumnView {
  @ApiProperty({ example: 'booked_at' })
  name: string;

  @ApiProperty({
    description:
      'text, date (YYYY-MM-DD), decimal(p,s), currency (ISO 4217), or tenant (from the token)',
    example: 'date (YYYY-MM-DD)',
  })
  type: string;

  @ApiProperty({ description: 'In the header and non-empty in every row' })
  required: boolean;

  @ApiProperty({ type: 'integer', required: false, description: 'Text columns: most characters' })
  maxLength?: number;
}

/** A dataset as `GET /datasets` shows it. */
export class DatasetView {
  @ApiProperty({ example: 'transactions' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({
    enum: ['tenant', 'reference'],
    description: "A tenant's own data, or reference data",
  })
  owner: 'tenant' | 'reference';

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Role needed to upload (reference data); null for tenant datasets',
  })
  requiredRole: string | null;

  @ApiProperty({ description: 'Whether the caller may upload to it' })
  writable: boolean;

  @ApiProperty({ type: [String], description: 'The upsert key that makes re-uploads idempotent' })
  naturalKey: readonly string[];

  @ApiProperty({ type: [DatasetColumnView] })
  columns: DatasetColumnView[];
}

/** `GET /datasets`. */
export class DatasetList {
  @ApiProperty({ type: [DatasetView] })
  items: DatasetView[];
}

/**
 * The uploadable datasets. Feature modules register theirs at start-up (uploads registers
 * `transactions`; exchange rates and ETF prices add reference datasets the same way).
 */
@Injectable()
export class DatasetRegistry {
  private readonly datasets = new Map<string, DatasetDefinition>();

  register(dataset: DatasetDefinition): void {
    if (this.datasets.has(dataset.name)) {
      throw new Error(`dataset "${dataset.name}" is registered twice`);
    }
    this.datasets.set(dataset.name, dataset);
  }

  all(): DatasetDefinition[] {
    return [...this.datasets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The dataset a caller may upload to: 400 when unknown, 403 without the role or a tenant. */
  forWriting(name: string, principal: Principal): DatasetDefinition {
    const dataset = this.datasets.get(name);
    if (!dataset) {
      throw new DomainError('INVALID_INPUT', `unknown dataset "${name}"`, {
        errors: [
          { field: 'dataset', message: `must be one of: ${[...this.datasets.keys()].join(', ')}` },
        ],
      });
    }
    if (!this.mayWrite(dataset, principal)) {
      throw new DomainError(
        'FORBIDDEN',
        dataset.owner === 'reference'
          ? `dataset "${name}" is reference data; uploading it needs the "${dataset.requiredRole}" role`
          : `dataset "${name}" belongs to a tenant; the token carries none`,
      );
    }
    return dataset;
  }

  get(name: string): DatasetDefinition | undefined {
    return this.datasets.get(name);
  }

  view(dataset: DatasetDefinition, principal: Principal): DatasetView {
    return {
      name: dataset.name,
      description: dataset.description ?? null,
      owner: dataset.owner,
      requiredRole: dataset.owner === 'reference' ? dataset.requiredRole : null,
      writable: this.mayWrite(dataset, principal),
      naturalKey: dataset.naturalKey,
      columns: [
        ...(dataset.owner === 'tenant'
          ? [{ name: TENANT_KEY_COLUMN, type: 'tenant (from the token)', required: true }]
          : []),
        ...dataset.columns.map((c) => ({
          name: c.name,
          type:
            c.type.kind === 'decimal'
              ? `decimal(${c.type.precision},${c.type.scale})`
              : c.type.kind === 'date'
                ? 'date (YYYY-MM-DD)'
                : c.type.kind === 'currency'
                  ? 'currency (ISO 4217)'
                  : 'text',
          required: c.required,
          ...(c.type.kind === 'text' ? { maxLength: c.type.maxLength } : {}),
        })),
      ],
    };
  }

  private mayWrite(dataset: DatasetDefinition, principal: Principal): boolean {
    if (dataset.owner === 'tenant') return principal.tenant !== null;
    return principal.roles.includes(dataset.requiredRole) || isAdmin(principal);
  }
}
