/**
 * Errors that say "the database is not there (yet)": a refused, unresolvable, reset or
 * timed-out connection, a connection the server dropped (restart, failover, admin kill),
 * a server starting up or shutting down (57P0x), too many connections. Such errors pass
 * when the server is back; anything else (bad SQL, a wrong password, a constraint) does
 * not. Works on `pg` errors and on MikroORM's wrappers of them (which keep `code`).
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01', // admin_shutdown: "terminating connection due to administrator command"
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
]);

const UNREACHABLE_MESSAGES =
  /Connection terminated|connection error and is not queryable|timeout expired|connection timeout|Client was closed/i;

export function isDatabaseUnreachable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || code.startsWith('08'))) {
    return true;
  }
  return typeof message === 'string' && UNREACHABLE_MESSAGES.test(message);
}
