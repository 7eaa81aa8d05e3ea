import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FIXTURES } from '../../../../test/utils/fixtures';
import { readCsvRows } from '../csv/csv-row-reader';
import {
  createRowValidator,
  defineDataset,
  requiredColumnNames,
  truncateForReport,
  type DatasetColumn,
} from './dataset';
import { TRANSACTIONS_DATASET, type TransactionRow } from './transactions.dataset';

const validate = createRowValidator(TRANSACTIONS_DATASET);

const validRecord = {
  external_id: 'TX-1',
  account: 'DE89 3704 0044 0532 0130 00',
  booked_at: '2024-02-29',
  amount: '-1234.50',
  currency: 'EUR',
  description: '  Coffee ☕  ',
  category: '',
};

/** A CSV field, quoted the RFC 4180 way. */
const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;

describe('the transactions dataset', () => {
  it('is tenant-owned, keyed by tenant and external id, and written to `transactions`', () => {
    expect(TRANSACTIONS_DATASET).toMatchObject({
      name: 'transactions',
      table: 'transactions',
      owner: 'tenant',
      naturalKey: ['tenant_id', 'external_id'],
    });
    expect(requiredColumnNames(TRANSACTIONS_DATASET)).toEqual([
      'external_id',
      'account',
      'booked_at',
      'amount',
      'currency',
    ]);
  });

  it('turns a valid record into typed values: trimmed, normalized, empty optionals null', () => {
    const result = validate({ ...validRecord, ignored_extra: 'x' });
    const expected: TransactionRow = {
      external_id: 'TX-1',
      account: 'DE89 3704 0044 0532 0130 00',
      booked_at: '2024-02-29',
      amount: '-1234.5',
      currency: 'EUR',
      description: 'Coffee ☕',
      category: null,
    };
    expect(result).toEqual({ ok: true, values: expected });
  });

  it('treats optional columns missing from the file as null', () => {
    const { description: _d, category: _c, ...required } = validRecord;
    expect(validate(required)).toMatchObject({
      ok: true,
      values: { description: null, category: null },
    });
  });

  it('reports every bad cell of a row, with the column, a message and the value', () => {
    const result = validate({
      external_id: '   ',
      account: 'x'.repeat(65),
      booked_at: '2023-02-29',
      amount: '1e5',
      currency: 'eur',
      description: 'fine',
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        { column: 'external_id', message: 'external_id is required', value: '   ' },
        {
          column: 'account',
          message: expect.stringMatching(/65 characters long; at most 64/),
          value: 'x'.repeat(65),
        },
        {
          column: 'booked_at',
          message: expect.stringMatching(/2023-02 has 28 days/),
          value: '2023-02-29',
        },
        { column: 'amount', message: expect.stringMatching(/exponent/), value: '1e5' },
        { column: 'currency', message: 'currency must be upper case: EUR', value: 'eur' },
      ],
    });
  });

  it('cuts reported values to 200 characters without splitting a character', () => {
    const long = '😀'.repeat(600);
    const result = validate({ ...validRecord, description: long });
    expect(result.ok).toBe(false);
    const [error] = result.ok ? [] : result.errors;
    expect(Array.from(error.value)).toHaveLength(200);
    expect(error.value.endsWith('…')).toBe(true);
    expect(error.value.isWellFormed()).toBe(true);
    expect(truncateForReport('short')).toBe('short');
  });

  it('reads and validates a transactions CSV end to end', async () => {
    const csv = [
      'external_id,account,booked_at,amount,currency,description,category',
      'T1,ACC,2024-01-31,10.00,EUR,"Rent, January",housing',
      'T2,ACC,2024-02-30,1,000.00,EUR,,', // bad date; the unquoted comma adds a cell
      'T3,ACC,2024-03-01,-0.0001,USD,"multi\nline",',
      'T4,ACC,2024-03-02,5,CHF,,',
    ].join('\r\n');
    const outcomes: unknown[] = [];
    for await (const row of readCsvRows(Readable.from([Buffer.from(csv)]), {
      requiredColumns: requiredColumnNames(TRANSACTIONS_DATASET),
    })) {
      if (!row.ok) {
        outcomes.push([row.row, row.error.code]);
        continue;
      }
      const result = validate(row.values);
      outcomes.push(
        result.ok ? [row.row, result.values.amount] : [row.row, result.errors.map((e) => e.column)],
      );
    }
    expect(outcomes).toEqual([
      [1, '10'],
      [2, 'COLUMN_COUNT'],
      [3, ['description']], // a line break is a control character
      [4, '5'],
    ]);
  });

  it('keeps every naughty string intact through CSV and validation, or rejects it with a reason', async () => {
    const naughty = JSON.parse(readFileSync(join(FIXTURES, 'blns.json'), 'utf8')) as string[];
    const csv = [
      'external_id,account,booked_at,amount,currency,description',
      ...naughty.map((text, i) => `N${i},${quote(text)},2024-01-01,1,EUR,${quote(text)}`),
    ].join('\n');
    const columns = [
      { name: 'external_id', type: { kind: 'text', maxLength: 64 }, required: true },
      { name: 'text', type: { kind: 'text', maxLength: 500 }, required: false },
    ] as const;
    const textOnly = createRowValidator(
      defineDataset({
        name: 'naughty',
        table: 'naughty',
        owner: 'tenant',
        naturalKey: ['tenant_id', 'external_id'],
        columns,
      }),
    );
    const controlCharacter = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/; // eslint-disable-line no-control-regex
    let accepted = 0;
    let rejected = 0;
    for await (const row of readCsvRows(Readable.from([Buffer.from(csv)]), {
      maxLineBytes: 8192,
    })) {
      expect(row.ok).toBe(true);
      if (!row.ok) continue;
      const original = naughty[row.row - 1];
      expect(row.values.description).toBe(original); // the reader changes nothing
      const result = textOnly({
        external_id: row.values.external_id,
        text: row.values.description,
      });
      if (result.ok) {
        accepted++;
        expect(result.values.text).toBe(original.trim() === '' ? null : original.trim());
      } else {
        rejected++;
        expect(controlCharacter.test(original)).toBe(true);
        expect(result.errors).toEqual([
          {
            column: 'text',
            message: expect.stringMatching(/control character U\+[0-9A-F]{4}/),
            value: original,
          },
        ]);
      }
      // The full dataset must decide about every string without throwing.
      expect(() =>
        validate({ ...validRecord, account: original, description: original }),
      ).not.toThrow();
    }
    expect(accepted + rejected).toBe(naughty.length);
    expect(rejected).toBe(naughty.filter((text) => controlCharacter.test(text)).length);
  });
});

describe('defineDataset', () => {
  const column = (name: string, required = true): DatasetColumn => ({
    name,
    type: { kind: 'text', maxLength: 10 },
    required,
  });

  it('refuses definitions that would break uploads later', () => {
    const base = { name: 'd', table: 't', columns: [column('id'), column('note', false)] };
    expect(() => defineDataset({ ...base, owner: 'tenant', naturalKey: ['id'] })).toThrow(
      /tenant_id/,
    );
    expect(() =>
      defineDataset({
        ...base,
        owner: 'reference',
        requiredRole: 'admin',
        naturalKey: ['tenant_id', 'id'],
      }),
    ).toThrow(/tenant_id/);
    expect(() =>
      defineDataset({ ...base, owner: 'tenant', naturalKey: ['tenant_id', 'note'] }),
    ).toThrow(/must be a required column/);
    expect(() =>
      defineDataset({
        ...base,
        columns: [column('id'), column('id')],
        owner: 'tenant',
        naturalKey: ['tenant_id', 'id'],
      }),
    ).toThrow(/defined twice/);
    expect(
      defineDataset({ ...base, owner: 'reference', requiredRole: 'admin', naturalKey: ['id'] }),
    ).toMatchObject({ owner: 'reference', requiredRole: 'admin' });
  });

  it('refuses references to a column it does not have, and resetting a column of the file', () => {
    const base = {
      name: 'd',
      table: 't',
      columns: [column('id'), column('note', false)],
      owner: 'reference' as const,
      requiredRole: 'admin',
      naturalKey: ['id'],
      updatedAtColumn: 'updated_at',
    };
    const ref = { table: 'other', key: 'id', message: 'no such thing' };
    expect(() => defineDataset({ ...base, references: [{ ...ref, column: 'nope' }] })).toThrow(
      /reference column "nope" is not a column/,
    );
    expect(() => defineDataset({ ...base, resetOnChange: ['note'] })).toThrow(
      /"note" comes from the file/,
    );
    expect(() => defineDataset({ ...base, resetOnChange: ['updated_at'] })).toThrow(
      /updatedAtColumn/,
    );
    expect(
      defineDataset({
        ...base,
        references: [{ ...ref, column: 'note' }],
        resetOnChange: ['flags'],
      }),
    ).toMatchObject({ resetOnChange: ['flags'] });
  });
});
