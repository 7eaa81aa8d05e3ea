import { InvalidValue, parseCurrency, parseDate, parseDecimal, parseText } from './column-values';

/** The stored value, or the reason it was refused. */
const outcome = (parsed: string | InvalidValue) =>
  parsed instanceof InvalidValue ? { invalid: parsed.message } : { value: parsed };

describe('parseDecimal (numeric(18,4))', () => {
  const decimal = (value: string) => outcome(parseDecimal(value, 18, 4));

  it.each([
    ['0', '0'],
    ['-0.0001', '-0.0001'],
    ['12345678901234.1234', '12345678901234.1234'], // the largest shape numeric(18,4) holds
    ['-99999999999999.9999', '-99999999999999.9999'],
    ['1234.50', '1234.5'],
    ['007.5000', '7.5'],
    ['-0', '0'],
    ['-0.0000', '0'],
    ['0.12340', '0.1234'], // trailing zeros are not significant
  ])('accepts %p as %p', (input, stored) => {
    expect(decimal(input)).toEqual({ value: stored });
  });

  it.each([
    ['1e5', /exponent/],
    ['1E+02', /exponent/],
    ['1,000.00', /thousands separators/],
    ['1.000,00', /thousands separators or a decimal comma/],
    ['12,5', /decimal comma/],
    ['12345678901234567890', /20 digits before the decimal point; at most 14/],
    // 15 digits before the point: numeric(18,4) has room for 14 (18 in all, 4 after the point).
    ['123456789012345.1234', /15 digits before the decimal point; at most 14/],
    ['0.12345', /5 digits after the decimal point; at most 4/],
    ['NaN', /finite/],
    ['Infinity', /finite/],
    ['-inf', /finite/],
    ['+1', /decimal number/],
    ['.5', /decimal number/],
    ['5.', /decimal number/],
    ['1.2.3', /decimal number/],
    ['--1', /decimal number/],
    ['$1.00', /decimal number/],
    ['١٢٣', /decimal number/], // Arabic-Indic digits are digits, but not ours
    ['0x10', /decimal number/],
  ])('rejects %p', (input, reason) => {
    expect(decimal(input).invalid).toMatch(reason);
  });

  it('never goes through a JS number, so no digit is lost', () => {
    expect(decimal('9007199254740993')).toEqual({ invalid: expect.any(String) });
    expect(outcome(parseDecimal('9007199254740993.0001', 22, 4))).toEqual({
      value: '9007199254740993.0001',
    });
  });
});

describe('parseDate', () => {
  it.each(['2024-02-29', '2000-02-29', '2023-12-31', '0001-01-01', '9999-12-31'])(
    'accepts %p',
    (input) => {
      expect(outcome(parseDate(input))).toEqual({ value: input });
    },
  );

  it.each([
    ['2023-02-29', /2023-02 has 28 days/],
    ['1900-02-29', /1900-02 has 28 days/],
    ['2024-04-31', /2024-04 has 30 days/],
    ['2024-13-01', /month 13/],
    ['2024-00-10', /month 00/],
    ['2024-01-00', /has 31 days/],
    ['0000-01-01', /year 0000/],
    ['24-01-01', /YYYY-MM-DD/],
    ['2024-1-1', /YYYY-MM-DD/],
    ['2024/01/01', /YYYY-MM-DD/],
    ['01.02.2024', /YYYY-MM-DD/],
    ['2024-01-01T00:00:00Z', /YYYY-MM-DD/],
    ['20240101', /YYYY-MM-DD/],
  ])('rejects %p', (input, reason) => {
    expect(outcome(parseDate(input)).invalid).toMatch(reason);
  });
});

describe('parseCurrency', () => {
  it.each(['EUR', 'USD', 'CHF', 'JPY', 'XOF', 'VES'])('accepts %p', (code) => {
    expect(outcome(parseCurrency(code))).toEqual({ value: code });
  });

  it('asks for upper case when the code is otherwise right', () => {
    expect(outcome(parseCurrency('eur')).invalid).toMatch(/upper case: EUR/);
  });

  it.each(['EURO', 'EU', 'ABC', 'XXX', 'XTS', 'XAU', 'HRK', '€', '978'])('rejects %p', (code) => {
    expect(outcome(parseCurrency(code)).invalid).toMatch(/ISO 4217/);
  });
});

describe('parseText', () => {
  it('accepts any printable text, tabs and emoji included', () => {
    for (const text of [
      'Café ☕',
      'a\tb',
      '👩‍👩‍👧‍👦',
      'שלום',
      '\u202eevil',
      'Robert"); DROP TABLE x;--',
    ]) {
      expect(outcome(parseText(text, 64))).toEqual({ value: text });
    }
  });

  it('rejects control characters other than tab, saying which and where', () => {
    expect(outcome(parseText('ab\u0007c', 64)).invalid).toMatch(/U\+0007 at position 3/);
    expect(outcome(parseText('two\nlines', 64)).invalid).toMatch(/U\+000A/);
    expect(outcome(parseText('x\u007f', 64)).invalid).toMatch(/U\+007F/);
    expect(outcome(parseText('x\u0085', 64)).invalid).toMatch(/U\+0085/);
  });

  it('counts length in characters, not UTF-16 units', () => {
    expect(outcome(parseText('😀'.repeat(64), 64))).toEqual({ value: '😀'.repeat(64) });
    expect(outcome(parseText('😀'.repeat(65), 64)).invalid).toMatch(
      /65 characters long; at most 64/,
    );
  });

  it('rejects unpaired surrogates', () => {
    expect(outcome(parseText('a\ud800b', 64)).invalid).toMatch(/surrogate/);
  });
});
