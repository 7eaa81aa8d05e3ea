import pino, { Logger } from 'pino';

/** The process's one pino logger; Nest's logger and every job logger are its children. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

export function createRootLogger(level: string): Logger {
  return pino({
    level,
    base: { pid: process.pid, service: 'jobtrack' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  });
}
