import { ADMIN_ROLE } from '../../common/auth/principal';
import { defineDataset, type DatasetRow } from '../uploads/datasets/dataset';
import { SYMBOL_PATTERN } from './etf-prices.constants';

const notNegative = (value: string) => (value.startsWith('-') ? 'must not be negative' : null);
// Providers write float noise (33.119998931884766): room for 16 decimals, 18 digits before.
const PRICE = { kind: 'decimal', precision: 34, scale: 16 } as const;

/**
 * Daily ETF bars uploaded as CSV (reference data: admins only), e.g. a history kept
 * elsewhere. Rows land in `etf_prices` upserted on (etf_id, price_date), with `flags` null:
 * not checked, for a new bar and for a stored one the upload changed (its old flags judged
 * the old values); a `repair` update re-fetches only missing and flagged days, so it leaves
 * them. The ETF must exist (`POST /etfs`): a row of an unknown one is a row error.
 */
export const ETF_PRICES_DATASET = defineDataset({
  name: 'etf-prices',
  table: 'etf_prices',
  owner: 'reference',
  requiredRole: ADMIN_ROLE,
  naturalKey: ['etf_id', 'price_date'],
  updatedAtColumn: 'updated_at',
  resetOnChange: ['flags'],
  references: [
    {
      column: 'etf_id',
      table: 'etfs',
      key: 'symbol',
      message: 'no ETF with this symbol: create it first (POST /api/v1/etfs)',
    },
  ],
  description:
    "Daily ETF bars (open, high, low, close, adj_close, volume) in the ETF's quote unit; re-uploads update rows by (etf_id, price_date).",
  columns: [
    {
      name: 'etf_id',
      type: { kind: 'text', maxLength: 20 },
      required: true,
      check: (value) =>
        SYMBOL_PATTERN.test(value) ? null : 'must be an ETF symbol (upper case, e.g. VWCE.DE)',
    },
    { name: 'price_date', type: { kind: 'date' }, required: true },
    { name: 'open', type: PRICE, required: true, check: notNegative },
    { name: 'high', type: PRICE, required: true, check: notNegative },
    { name: 'low', type: PRICE, required: true, check: notNegative },
    { name: 'close', type: PRICE, required: true, check: notNegative },
    { name: 'adj_close', type: PRICE, required: false, check: notNegative },
    {
      name: 'volume',
      type: { kind: 'decimal', precision: 20, scale: 0 },
      required: false,
      check: notNegative,
    },
    { name: 'source', type: { kind: 'text', maxLength: 64 }, required: true },
  ],
});

export type EtfPriceRow = DatasetRow<typeof ETF_PRICES_DATASET.columns>;
