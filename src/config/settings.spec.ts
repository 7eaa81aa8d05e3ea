import {
  ConfigValidationError,
  describeSettings,
  Doc,
  EnumVar,
  IntVar,
  Secret,
  TextVar,
  validateSettings,
} from './settings';

class First {
  @Doc('A number.')
  @IntVar(0, 10)
  N: number = 5;

  @Doc('Unset unless given.')
  @TextVar(3)
  OPT?: string;
}

class Second {
  @Doc('A secret.')
  @Secret()
  @TextVar(8)
  KEY: string = 'defaultkey';

  @Doc('A mode.')
  @EnumVar(['a', 'b'])
  MODE: string = 'a';

  static check(env: First & Second): string[] {
    return env.MODE === 'b' && !env.OPT ? ['OPT: needed when MODE=b'] : [];
  }
}

const problems = (raw: Record<string, unknown>) => {
  try {
    validateSettings([First, Second], raw);
    return [];
  } catch (e) {
    return (e as ConfigValidationError).problems;
  }
};

describe('settings', () => {
  it('composes the classes into one typed object with their defaults', () => {
    const env = validateSettings([First, Second], { N: '7', OTHER: 'x', MODE: '' });
    expect(env).toEqual({ N: 7, KEY: 'defaultkey', MODE: 'a' });
    expect(env.OPT).toBeUndefined();
  });

  it('validates every class in one pass, secrets as ***, then the cross-variable rules', () => {
    expect(problems({ N: 'x', OPT: 'ab', KEY: 'short', MODE: 'b' })).toEqual([
      'N="x": N must not be greater than 10; N must not be less than 0; N must be an integer number',
      'OPT="ab": OPT must be longer than or equal to 3 characters',
      'KEY="***": KEY must be longer than or equal to 8 characters',
    ]);
    expect(problems({ MODE: 'b' })).toEqual(['OPT: needed when MODE=b']);
  });

  it('describes each variable: owner, description, secrecy, default (undefined: optional)', () => {
    expect(describeSettings([First, Second])).toEqual([
      {
        name: 'N',
        owner: 'First',
        description: 'A number.',
        secret: false,
        default: 5,
        typed: true,
      },
      {
        name: 'OPT',
        owner: 'First',
        description: 'Unset unless given.',
        secret: false,
        default: undefined,
        typed: true,
      },
      {
        name: 'KEY',
        owner: 'Second',
        description: 'A secret.',
        secret: true,
        default: 'defaultkey',
        typed: true,
      },
      {
        name: 'MODE',
        owner: 'Second',
        description: 'A mode.',
        secret: false,
        default: 'a',
        typed: true,
      },
    ]);
  });

  it('refuses a variable declared by two classes', () => {
    class Again {
      @Doc('Again.')
      @IntVar(0)
      N: number = 1;
    }
    expect(() => validateSettings([First, Again], {})).toThrow(
      'N is declared by both First and Again',
    );
  });
});
