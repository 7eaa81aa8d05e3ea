import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

/**
 * Settings beside their feature. A feature declares the environment variables it reads in
 * a class of its own (`<feature>.settings.ts`): one field per variable, named like it, its
 * initializer the default (no initializer: optional, unset unless given).
 *
 *     export class UploadSettings {
 *       @Doc('Uploads one worker process imports at once.')
 *       @IntVar(1, 32)
 *       UPLOAD_CONCURRENCY = 2;
 *     }
 *
 * Each field takes one `*Var` decorator (the rule), `@Doc` (the description
 * docs/configuration.md must show, word for word) and, for a secret, `@Secret()`. A rule
 * across variables is a `static check(env)` returning one message per problem.
 * src/config/env.ts lists every class: start-up validates them together.
 */
export interface SettingsClass<T extends object = object> {
  new (): T;
  /** Rules across variables, run after each variable's own; one message per problem. */
  check?(env: never): string[];
}

/** One typed object with every variable of the given classes. */
export type Composed<T extends readonly SettingsClass[]> = Intersection<InstanceType<T[number]>>;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;

/** A variable as declared (docs/configuration.md is checked against this). */
export interface SettingInfo {
  name: string;
  /** The declaring class, e.g. UploadSettings. */
  owner: string;
  description: string | undefined;
  secret: boolean;
  /** undefined: optional, unset unless given. */
  default: unknown;
  /** Has a `*Var` rule (a field without one is a mistake the docs test reports). */
  typed: boolean;
}

type Declared = Pick<SettingInfo, 'description' | 'secret' | 'typed'>;
const UNDECLARED: Declared = { description: undefined, secret: false, typed: false };
const DECLARED = new WeakMap<object, Map<string, Declared>>();
const DEFAULTS = new WeakMap<object, Record<string, unknown>>();

function declared(cls: object): Map<string, Declared> {
  let vars = DECLARED.get(cls);
  if (!vars) DECLARED.set(cls, (vars = new Map()));
  return vars;
}

function entry(target: object, key: string | symbol): Declared {
  const vars = declared(target.constructor);
  const name = String(key);
  if (!vars.has(name)) vars.set(name, { description: undefined, secret: false, typed: false });
  return vars.get(name)!;
}

function defaults(cls: SettingsClass): Record<string, unknown> {
  let values = DEFAULTS.get(cls);
  if (!values) DEFAULTS.set(cls, (values = { ...new cls() }));
  return values;
}

/** A rule: its class-validator decorators (listed in the order their messages are joined). */
function variable(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    entry(target, key).typed = true;
    for (const rule of rules) rule(target, key);
    // A variable without a default is optional: unset, it is not validated.
    ValidateIf(
      (o: object, value: unknown) =>
        value != null || defaults(o.constructor as SettingsClass)[String(key)] !== undefined,
    )(target, key);
  };
}

const toNumber = Transform(({ value }) =>
  value === undefined || value === '' ? value : Number(value),
);

/** An integer (from its decimal text), at least `min` and, when given, at most `max`. */
export const IntVar = (min: number, max?: number): PropertyDecorator =>
  variable(...(max === undefined ? [] : [Max(max)]), Min(min), IsInt(), toNumber);

/** Text of at least `minLength` characters. */
export const TextVar = (minLength = 0): PropertyDecorator =>
  variable(...(minLength > 0 ? [MinLength(minLength)] : []), IsString());

/** Text matching `pattern`; `message` says what is expected. */
export const MatchVar = (pattern: RegExp, message: string): PropertyDecorator =>
  variable(Matches(pattern, { message }));

/** One of `values`. */
export const EnumVar = (values: readonly string[]): PropertyDecorator => variable(IsIn(values));

/** The description docs/configuration.md shows for the variable. */
export const Doc =
  (description: string): PropertyDecorator =>
  (target, key) => {
    entry(target, key).description = description;
  };

/** Never echoed (a bad value shows as `***`); documented as **Secret.** without its default. */
export const Secret = (): PropertyDecorator => (target, key) => {
  entry(target, key).secret = true;
};

/** Every variable of the classes, in declaration order; a name declared twice is refused. */
export function describeSettings(classes: readonly SettingsClass[]): SettingInfo[] {
  const seen = new Map<string, string>();
  return classes.flatMap((cls) => {
    const values = defaults(cls);
    const vars = declared(cls);
    const names = new Set([...vars.keys(), ...Object.keys(values)]);
    return [...names].map((name) => {
      const other = seen.get(name);
      if (other) throw new Error(`${name} is declared by both ${other} and ${cls.name}`);
      seen.set(name, cls.name);
      const { description, secret, typed } = vars.get(name) ?? UNDECLARED;
      return { name, owner: cls.name, description, secret, default: values[name], typed };
    });
  });
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Reads the classes' variables from `raw` (empty means unset) and validates them all in one
 * pass: the error names every bad variable with its value (secrets as `***`).
 */
export function validateSettings<T extends readonly SettingsClass[]>(
  classes: T,
  raw: Record<string, unknown>,
): Composed<T> {
  const secrets = new Set(
    describeSettings(classes)
      .filter((s) => s.secret)
      .map((s) => s.name),
  );
  const env: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const cls of classes) {
    const names = new Set(describeSettings([cls]).map((s) => s.name));
    const picked = Object.fromEntries(
      Object.entries(raw).filter(([k, v]) => names.has(k) && v !== ''),
    );
    const settings = plainToInstance(cls, picked);
    for (const e of validateSync(settings, { skipMissingProperties: false })) {
      const shown = secrets.has(e.property) ? '***' : picked[e.property];
      problems.push(
        `${e.property}=${JSON.stringify(shown)}: ${Object.values(e.constraints ?? {}).join('; ')}`,
      );
    }
    Object.assign(env, settings);
  }
  for (const cls of classes) problems.push(...(cls.check?.(env as never) ?? []));
  if (problems.length) throw new ConfigValidationError(problems);
  return env as Composed<T>;
}
