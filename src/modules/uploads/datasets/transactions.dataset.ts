import { defineDataset, type DatasetRow } from './dataset';

/** Bank or ledger transactions uploaded by a tenant; re-uploads update rows by `external_id`. */
export const TRANSACTIONS_DATASET = defineDataset({
  name: 'transactions',
  table: 'transactions',
  owner: 'tenant',
  naturalKey: ['tenant_id', 'external_id'],
  updatedAtColumn: 'updated_at',
  description: "A tenant's bank or ledger transactions; re-uploads update rows by external_id.",
  columns: [
    { name: 'external_id', type: { kind: 'text', maxLength: 64 }, required: true },
    { name: 'account', type: { kind: 'text', maxLength: 64 }, required: true },
    { name: 'booked_at', type: { kind: 'date' }, required: true },
    // numeric(18,4): 18 digits in all, 4 of them after the point.
    { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 4 }, required: true },
    { name: 'currency', type: { kind: 'currency' }, required: true },
    { name: 'description', type: { kind: 'text', maxLength: 500 }, required: false },
    { name: 'category', type: { kind: 'text', maxLength: 64 }, required: false },
  ],
});

export type TransactionRow = DatasetRow<typeof TRANSACTIONS_DATASET.columns>;
