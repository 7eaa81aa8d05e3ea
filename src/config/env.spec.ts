import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, DEV_JWT_SECRET, SETTINGS, validateEnv } from './env';
import { describeSettings, SettingInfo } from './settings';

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
});

describe('docs/configuration.md', () => {
  const settings = describeSettings(SETTINGS);
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  /** The `| \`NAME\` | default | meaning |` rows of its tables. */
  const rows = new Map(
    doc.split('\n').flatMap((line) => {
      const cells = line.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
      const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(cells[1] ?? '')?.[1];
      return name && cells.length === 5 ? [[name, { shown: cells[2], meaning: cells[3] }]] : [];
    }),
  );
  /** What the row of a variable must say, as its feature declares it. */
  const row = (s: SettingInfo) => ({
    shown: s.default === undefined ? 'unset' : `\`${String(s.default)}\``,
    meaning: `${s.secret ? '**Secret.** ' : ''}${s.description}`,
  });

  it('every variable is declared with a rule (*Var) and a description (@Doc)', () => {
    expect(
      settings.filter((s) => !s.typed || !s.description).map((s) => s.owner + '.' + s.name),
    ).toEqual([]);
  });

  it('has a row for every variable, and none for another', () => {
    expect([...rows.keys()].sort()).toEqual(settings.map((s) => s.name).sort());
  });

  it("shows each variable's default, secrecy and description as declared", () => {
    const wrong = settings.flatMap((s) => {
      const documented = rows.get(s.name);
      if (!documented) return [];
      const expected = row(s);
      // A secret's default is not shown, only described.
      const shownOk =
        s.secret && s.default !== undefined
          ? documented.shown !== 'unset' && !documented.shown.includes(String(s.default))
          : documented.shown === expected.shown;
      return shownOk && documented.meaning === expected.meaning
        ? []
        : [`| \`${s.name}\` | ${expected.shown} | ${expected.meaning} |`];
    });
    expect(wrong).toEqual([]);
  });
});
