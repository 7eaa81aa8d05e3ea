import fc from 'fast-check';
import { parseInstant } from './instant';
import { controlCharacterProblem, inputProblems, MAX_INPUT_DEPTH } from './input-rules';

describe('the input rule', () => {
  it('refuses every C0 character; body text may hold TAB, LF and CR', () => {
    for (let c = 0; c < 0x20; c++) {
      const text = `a${String.fromCharCode(c)}b`;
      expect(controlCharacterProblem(text, 'query')).toMatch(/control characters/);
      expect(controlCharacterProblem(text, 'param')).toMatch(/control characters/);
      expect(controlCharacterProblem(text, 'claim')).toMatch(/control characters/);
      const allowed = c === 0x09 || c === 0x0a || c === 0x0d;
      expect(controlCharacterProblem(text, 'body') === undefined).toBe(allowed);
    }
    expect(controlCharacterProblem('é 🙂 \u007f \u0085 \u2028', 'query')).toBeUndefined();
  });

  it('names the field of every breach, keys included', () => {
    expect(
      inputProblems(
        { a: 'x\u0000', b: [{ c: '\u0001' }], ['d\u0000']: 1, __proto__x: 'ok' },
        'body',
      ),
    ).toEqual([
      { field: 'a', message: expect.stringMatching(/U\+0000/) },
      { field: 'b.0.c', message: expect.stringMatching(/U\+0001/) },
      { field: 'd\u0000', message: expect.stringMatching(/^field names/) },
    ]);
    expect(inputProblems('\u0000', 'param', 'id')).toEqual([
      { field: 'id', message: expect.any(String) },
    ]);
  });

  it('refuses inherited member names as keys, at any depth', () => {
    const body = JSON.parse('{"__proto__":1,"x":{"constructor":2,"toString":3},"prototype":4}');
    expect(inputProblems(body, 'body').map((p) => p.field)).toEqual([
      '__proto__',
      'x.constructor',
      'x.toString',
      'prototype',
    ]);
  });

  it(`reads ${MAX_INPUT_DEPTH} levels and refuses one more, without recursing`, () => {
    const nest = (n: number): unknown => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(inputProblems(nest(MAX_INPUT_DEPTH), 'body')).toEqual([]);
    expect(inputProblems(nest(MAX_INPUT_DEPTH + 1), 'body')).toHaveLength(1);
    expect(inputProblems(nest(100_000), 'body')[0].message).toMatch(/nested deeper/);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (v) => {
        inputProblems(v, 'body');
        inputProblems(v, 'query');
      }),
    );
  });
});

describe('parseInstant', () => {
  it('reads back every instant of years 0001-9999 written by toISOString', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (d) => {
          expect(parseInstant(d.toISOString())?.getTime()).toBe(d.getTime());
        },
      ),
    );
  });

  it('gives a valid date or nothing, for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{4}-\d\d-\d\d(T.*)?$/)), (s) => {
        const d = parseInstant(s);
        if (d) expect(Number.isNaN(d.getTime())).toBe(false);
      }),
    );
  });
});
