import { defineDataset, type DatasetRow } from '../uploads/datasets/dataset';
import { ADMIN_ROLE } from '../../common/auth/principal';
import { CURRENCY_LIVES } from './currency-life';
import { isRate } from './ecb-format';
import { isPublicationDay } from './target-calendar';

/**
 * ECB euro reference rates uploaded as CSV (reference data: admins only), e.g. to load a
 * history kept elsewhere. Rows land in `exchange_rates` as the update jobs write them, upserted
 * on (rate_date, base, quote); the read API answers them like fetched ones. Only what the ECB
 * publishes fits: a publication day (the TARGET calendar, from 1999-01-04), base EUR, a
 * currency the ECB has published (historical ones too: HRK, TRL, …), a positive rate.
 */
export const EXCHANGE_RATES_DATASET = defineDataset({
  name: 'exchange-rates',
  table: 'exchange_rates',
  owner: 'reference',
  requiredRole: ADMIN_ROLE,
  naturalKey: ['rate_date', 'base', 'quote'],
  updatedAtColumn: 'updated_at',
  description:
    'ECB euro reference rates (units of quote for one EUR) by publication day; re-uploads update rows by (rate_date, base, quote).',
  columns: [
    {
      name: 'rate_date',
      type: { kind: 'date' },
      required: true,
      check: (value) =>
        isPublicationDay(value)
          ? null
          : 'is not an ECB publication day (a weekend or TARGET holiday, or before 1999-01-04)',
    },
    {
      name: 'base',
      type: { kind: 'text', maxLength: 3 },
      required: true,
      check: (value) => (value === 'EUR' ? null : 'must be EUR (the ECB publishes euro rates)'),
    },
    {
      name: 'quote',
      type: { kind: 'text', maxLength: 3 },
      required: true,
      check: (value) =>
        Object.hasOwn(CURRENCY_LIVES, value)
          ? null
          : 'is not a currency the ECB publishes or has published (upper case, e.g. USD, HRK)',
    },
    {
      name: 'rate',
      // At most 14 digits before the point and 10 after (the ECB writes at most 6).
      type: { kind: 'decimal', precision: 24, scale: 10 },
      required: true,
      check: (value) => (isRate(value) ? null : 'must be positive'),
    },
    { name: 'source', type: { kind: 'text', maxLength: 64 }, required: true },
  ],
});

export type ExchangeRateRow = DatasetRow<typeof EXCHANGE_RATES_DATASET.columns>;
