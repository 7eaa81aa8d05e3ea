import { createRowValidator } from '../uploads/datasets/dataset';
import { EXCHANGE_RATES_DATASET } from './exchange-rates.dataset';

describe('dataset exchange-rates', () => {
  const validate = createRowValidator(EXCHANGE_RATES_DATASET);
  const row = (over: Record<string, string> = {}) => ({
    rate_date: '2022-12-30',
    base: 'EUR',
    quote: 'HRK',
    rate: '7.5365',
    source: 'upload',
    ...over,
  });

  it('accepts a published rate, a historical currency included', () => {
    expect(validate(row())).toEqual({ ok: true, values: row() });
    expect(validate(row({ quote: 'TRL', rate: '1836200', rate_date: '2004-12-31' }))).toMatchObject(
      { ok: true },
    );
  });

  it.each([
    ['rate_date', '2022-12-31', 'rate_date is not an ECB publication day'],
    ['rate_date', '2018-03-30', 'rate_date is not an ECB publication day'],
    ['rate_date', '1998-12-30', 'rate_date is not an ECB publication day'],
    ['base', 'USD', 'base must be EUR'],
    ['quote', 'EUR', 'quote is not a currency the ECB publishes'],
    ['quote', 'usd', 'quote is not a currency the ECB publishes'],
    ['quote', 'XYZ', 'quote is not a currency the ECB publishes'],
    ['rate', '0', 'rate must be positive'],
    ['rate', '-1.5', 'rate must be positive'],
    ['rate', '1e3', 'rate must not use exponent notation'],
    ['rate', '1.12345678901', 'rate has 11 digits after the decimal point'],
  ])('refuses %s %j', (column, value, message) => {
    const result = validate(row({ [column]: value }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]).toMatchObject({ column, value });
      expect(result.errors[0].message.startsWith(message)).toBe(true);
    }
  });
});
