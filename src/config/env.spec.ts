import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigValidationError,
  DEV_JWT_SECRET,
  EnvironmentVariables,
  OPTIONAL_VARIABLES,
  validateEnv,
} from './env';

describe('validateEnv', () => {
  it('gives working defaults for a developer machine', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/jobtrack',
      REDIS_URL: 'redis://127.0.0.1:6379',
      APP_ROLE: 'all',
      RETENTION_DAYS: 90,
      QUEUE_PREFIX: 'jobtrack',
      JWT_SECRET: DEV_JWT_SECRET,
    });
  });

  it('converts numbers and lists every bad variable at once', () => {
    expect(validateEnv({ PORT: '8080' }).PORT).toBe(8080);
    let error: ConfigValidationError | undefined;
    try {
      validateEnv({
        PORT: 'x',
        RETENTION_DAYS: '0',
        REDIS_URL: 'localhost',
        APP_ROLE: 'web',
        DATABASE_URL: 'mysql://x/y',
      });
    } catch (e) {
      error = e as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const named = error!.problems.map((p) => p.split('=')[0]).sort();
    expect(named).toEqual(['APP_ROLE', 'DATABASE_URL', 'PORT', 'REDIS_URL', 'RETENTION_DAYS']);
  });

  it('refuses the development JWT secret in production, and never prints a secret', () => {
    expect(() => validateEnv({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET: the development default is refused/,
    );
    expect(
      validateEnv({ NODE_ENV: 'production', JWT_SECRET: 'a-long-production-secret-value' })
        .NODE_ENV,
    ).toBe('production');
    expect(() => validateEnv({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET="\*\*\*"/);
    expect(() => validateEnv({ BULL_BOARD_USER: 'ops', BULL_BOARD_PASSWORD: 'short' })).toThrow(
      /BULL_BOARD_PASSWORD="\*\*\*"/,
    );
    expect(() => validateEnv({ BULL_BOARD_USER: 'ops' })).toThrow(/set both or neither/);
  });

  it('is documented: docs/configuration.md names every variable', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
    const names = [...Object.keys(new EnvironmentVariables()), ...OPTIONAL_VARIABLES];
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
