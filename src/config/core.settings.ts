import { Doc, EnumVar, IntVar, MatchVar } from './settings';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** The process: environment, port, role, PostgreSQL, Redis, logging, shutdown. */
export class CoreSettings {
  @Doc(
    '`development`, `production` or `test`. In `production` the development `JWT_SECRET` is refused.',
  )
  @EnumVar(['development', 'production', 'test'])
  NODE_ENV: string = 'development';

  @Doc('HTTP port (API, probes, docs). Worker replicas listen too, for their probes.')
  @IntVar(0, 65535)
  PORT: number = 3000;

  @Doc(
    'PostgreSQL. The database is created at start-up when missing; migrations are applied under an advisory lock.',
  )
  @MatchVar(/^postgres(ql)?:\/\/.+\/[^/?]+/, 'must be postgres://user@host:port/database')
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/jobtrack';

  @Doc(
    'At start-up, how long to keep trying while PostgreSQL is unreachable (refused, not resolvable, starting up or shutting down): the process logs `database unreachable at <host:port>` and retries; past this it exits 1 with that message. `0`: one try. Wrong credentials or a missing role fail at once.',
  )
  @IntVar(0)
  DATABASE_CONNECT_TIMEOUT_MS: number = 60_000;

  @Doc(
    'Redis for BullMQ and the cancel channel (`rediss://` for TLS). Must run with `maxmemory-policy noeviction`; anything else is logged at start-up as an error.',
  )
  @MatchVar(/^rediss?:\/\/.+/, 'must be redis://host:port')
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  @Doc(
    'Prefix of every BullMQ key and of the cancel channel. Two deployments on one Redis need two prefixes.',
  )
  @MatchVar(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -')
  QUEUE_PREFIX: string = 'jobtrack';

  @Doc(
    '`all`: API and workers in one process; `api`: HTTP only (no job runs here); `worker`: job processors only (the `/api` routes answer 404, probes work).',
  )
  @EnumVar(APP_ROLES)
  APP_ROLE: AppRole = 'all';

  @Doc('pino level: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`.')
  @EnumVar(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  @Doc(
    'On SIGTERM, time between readiness turning 503 and the workers and HTTP server stopping (give the load balancer time to notice; 5000 is typical on Kubernetes).',
  )
  @IntVar(0)
  SHUTDOWN_DELAY_MS: number = 0;
}
