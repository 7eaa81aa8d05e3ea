import { plainToInstance, Transform } from 'class-transformer';
import { createPublicKey } from 'node:crypto';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Default JWT secret for development; refused when NODE_ENV=production. */
export const DEV_JWT_SECRET = 'jobtrack-development-secret-change-me';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const int = () =>
  Transform(({ value }) => (value === undefined || value === '' ? value : Number(value)));

/**
 * Every environment variable the service reads, with its default. docs/configuration.md
 * documents each one; a test keeps the two in step.
 */
export class EnvironmentVariables {
  /** development | production | test */
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  /** HTTP port. */
  @int()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** PostgreSQL URL; the database is created at start-up when missing. */
  @Matches(/^postgres(ql)?:\/\/.+\/[^/?]+/, {
    message: 'must be postgres://user@host:port/database',
  })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/jobtrack';

  /** At start-up, how long to keep trying an unreachable PostgreSQL before exiting 1. */
  @int()
  @IsInt()
  @Min(0)
  DATABASE_CONNECT_TIMEOUT_MS: number = 60_000;

  /** Redis URL for BullMQ and the cancel channel. */
  @Matches(/^rediss?:\/\/.+/, { message: 'must be redis://host:port' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Key prefix of every BullMQ key and the cancel channel in Redis. */
  @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 characters of A-Z a-z 0-9 _ . : -' })
  QUEUE_PREFIX: string = 'jobtrack';

  /** Secret (secret) for HS256 bearer tokens. */
  @IsString()
  @MinLength(16)
  JWT_SECRET: string = DEV_JWT_SECRET;

  /** When set, tokens must carry this `iss` (and minted tokens get it). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_ISSUER?: string;

  /** When set, tokens must carry this `aud` (and minted tokens get it). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_AUDIENCE?: string;

  /** Optional PEM public key (secret-free) to verify RS256/ES256 tokens instead of the secret. */
  @IsOptional()
  @IsString()
  JWT_PUBLIC_KEY?: string;

  /** Basic-auth user for Bull Board in a browser (with BULL_BOARD_PASSWORD); admin tokens work too. */
  @IsOptional()
  @IsString()
  @Matches(/^[^:]{1,128}$/, { message: 'must be 1-128 characters without ":"' })
  BULL_BOARD_USER?: string;

  /** Basic-auth password (secret) for Bull Board; at least 12 characters. */
  @IsOptional()
  @IsString()
  @MinLength(12)
  BULL_BOARD_PASSWORD?: string;

  /** When set (secret), /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;

  /** all: API and workers; api: HTTP only; worker: job processors and crons only. */
  @IsIn(APP_ROLES)
  APP_ROLE: AppRole = 'all';

  /** Directory for stored files (uploads). */
  @IsString()
  @MinLength(1)
  UPLOAD_DIR: string = './var/uploads';

  /** Largest uploaded file accepted, in bytes; larger ones get 413 and nothing is kept. */
  @int()
  @IsInt()
  @Min(1)
  UPLOAD_MAX_BYTES: number = 1024 * 1024 * 1024;

  /** Longest CSV record (quotes and delimiters included), in bytes. */
  @int()
  @IsInt()
  @Min(256)
  @Max(16 * 1024 * 1024)
  UPLOAD_MAX_LINE_BYTES: number = 64 * 1024;

  /** Most data rows one upload may have. */
  @int()
  @IsInt()
  @Min(1)
  UPLOAD_MAX_ROWS: number = 10_000_000;

  /** Rows per write batch: one COPY + one upsert (+ the checkpoint) per batch. */
  @int()
  @IsInt()
  @Min(1)
  @Max(100_000)
  UPLOAD_BATCH_ROWS: number = 10_000;

  /** Uploads one worker process imports at once. */
  @int()
  @IsInt()
  @Min(1)
  @Max(32)
  UPLOAD_CONCURRENCY: number = 2;

  /** Terminal tracking rows older than this many days are deleted with their files. */
  @int()
  @IsInt()
  @Min(1)
  RETENTION_DAYS: number = 90;

  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /** Run the maintenance crons (outbox, orphan rescue, retention) in this process. */
  @IsIn(['true', 'false'])
  MAINTENANCE_ENABLED: string = 'true';

  /** Outbox dispatcher period: PENDING rows are handed to the queue. */
  @int()
  @IsInt()
  @Min(100)
  OUTBOX_INTERVAL_MS: number = 10_000;

  /** Orphan rescue period. */
  @int()
  @IsInt()
  @Min(100)
  ORPHAN_RESCUE_INTERVAL_MS: number = 60_000;

  /** A row must be this old (since its last update) before the crons touch it. */
  @int()
  @IsInt()
  @Min(0)
  MAINTENANCE_GRACE_MS: number = 30_000;

  /** Retention period. */
  @int()
  @IsInt()
  @Min(1000)
  RETENTION_INTERVAL_MS: number = 3_600_000;

  /** First retry delay; doubles each attempt. */
  @int()
  @IsInt()
  @Min(1)
  BACKOFF_BASE_MS: number = 5_000;

  /** Longest retry delay. */
  @int()
  @IsInt()
  @Min(1)
  BACKOFF_MAX_MS: number = 600_000;

  /** How long a create request waits for Redis before leaving the row PENDING. */
  @int()
  @IsInt()
  @Min(50)
  ENQUEUE_TIMEOUT_MS: number = 2_000;

  /** Live progress: at most one progress event per job per this interval to browsers (the last always). */
  @int()
  @IsInt()
  @Min(0)
  PROGRESS_EMIT_INTERVAL_MS: number = 100;

  /** Minimum time between two progress writes of one job to PostgreSQL. */
  @int()
  @IsInt()
  @Min(0)
  PROGRESS_WRITE_INTERVAL_MS: number = 1_000;

  /** BullMQ job lock; a worker that stops renewing it for this long is considered dead. */
  @int()
  @IsInt()
  @Min(500)
  WORKER_LOCK_MS: number = 30_000;

  /** How often workers look for stalled jobs (held by dead workers). */
  @int()
  @IsInt()
  @Min(250)
  WORKER_STALLED_INTERVAL_MS: number = 30_000;

  /** On SIGTERM: time running jobs get to finish before they are handed back to the queue. */
  @int()
  @IsInt()
  @Min(0)
  SHUTDOWN_GRACE_MS: number = 20_000;

  /** On SIGTERM: time between readiness turning 503 and workers/HTTP stopping. */
  @int()
  @IsInt()
  @Min(0)
  SHUTDOWN_DELAY_MS: number = 0;
}

/** Variables without a default (class fields left undefined are not enumerable keys). */
export const OPTIONAL_VARIABLES = [
  'JWT_PUBLIC_KEY',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'BULL_BOARD_USER',
  'BULL_BOARD_PASSWORD',
  'METRICS_TOKEN',
];
/** Never echoed in error messages. */
const SECRET_VARIABLES = ['JWT_SECRET', 'BULL_BOARD_PASSWORD', 'METRICS_TOKEN'];

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Validates the environment; the error lists every bad variable at once. */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  const known = [...Object.keys(new EnvironmentVariables()), ...OPTIONAL_VARIABLES];
  const picked = Object.fromEntries(
    Object.entries(raw).filter(([k, v]) => known.includes(k) && v !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, picked);
  const problems = validateSync(env, { skipMissingProperties: false }).map((e) => {
    const shown = SECRET_VARIABLES.includes(e.property) ? '***' : picked[e.property];
    return `${e.property}=${JSON.stringify(shown)}: ${Object.values(e.constraints ?? {}).join('; ')}`;
  });
  if (env.JWT_PUBLIC_KEY) {
    try {
      createPublicKey(env.JWT_PUBLIC_KEY);
    } catch {
      problems.push('JWT_PUBLIC_KEY: not a PEM public key');
    }
  }
  if (Boolean(env.BULL_BOARD_USER) !== Boolean(env.BULL_BOARD_PASSWORD)) {
    problems.push('BULL_BOARD_USER and BULL_BOARD_PASSWORD: set both or neither');
  }
  if (env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET && !env.JWT_PUBLIC_KEY) {
    problems.push('JWT_SECRET: the development default is refused when NODE_ENV=production');
  }
  if (problems.length) throw new ConfigValidationError(problems);
  return env;
}
