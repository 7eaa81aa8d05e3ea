import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fixture, fixturePath } from '../../../test/utils/fixtures';
import type { EcbDay } from './ecb-format';
import { readEcbHistZip } from './ecb-hist-csv';
import { readEcbXml } from './ecb-xml';
import {
  CURRENCY_LIVES,
  currenciesExpectedOn,
  currencyStatus,
  isCurrencyExpected,
} from './currency-life';
import { isIsoDate, isPublicationDay } from './target-calendar';

const ECB_FILES = readdirSync(fixturePath('ecb')).filter(
  (f) => f.startsWith('eurofxref') && f.endsWith('.xml'),
);

async function days(name: string): Promise<EcbDay[]> {
  const out: EcbDay[] = [];
  for await (const day of readEcbXml(Readable.from([fixture('ecb', name)]))) out.push(day);
  return out;
}

describe('the data', () => {
  it('lists the 41 currencies of the ECB history, each with ordered, valid periods', () => {
    expect(Object.keys(CURRENCY_LIVES)).toHaveLength(41);
    for (const [code, life] of Object.entries(CURRENCY_LIVES)) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      life.periods.forEach((p, i) => {
        expect(isIsoDate(p.from)).toBe(true);
        if (p.to !== null) {
          expect([code, isIsoDate(p.to), p.to >= p.from]).toEqual([code, true, true]);
          // a last publication is a publication day
          expect([code, p.to, isPublicationDay(p.to)]).toEqual([code, p.to, true]);
        }
        if (i > 0) expect(p.from > (life.periods[i - 1].to as string)).toBe(true);
        expect([code, isPublicationDay(p.from)]).toEqual([code, true]);
      });
      const ended = life.periods[life.periods.length - 1].to !== null;
      expect([code, ended, life.end !== undefined]).toEqual([code, ended, ended]);
    }
  });

  it('the brief’s last publication dates', () => {
    const last = (c: string) => CURRENCY_LIVES[c].periods[CURRENCY_LIVES[c].periods.length - 1].to;
    expect(last('HRK')).toBe('2022-12-30');
    expect(last('BGN')).toBe('2025-12-31');
    expect(last('RUB')).toBe('2022-03-01'); // the ECB's notice (the brief said suspended from 03-01)
    expect(CURRENCY_LIVES.ISK.periods).toEqual([
      { from: '1999-01-04', to: '2008-12-09' },
      { from: '2018-02-01', to: null },
    ]);
    for (const c of ['TRL', 'ROL', 'SIT', 'CYP', 'MTL', 'SKK', 'EEK', 'LVL', 'LTL']) {
      expect(last(c)).not.toBeNull();
    }
  });
});

describe('currencyStatus', () => {
  it('unavailable since the day after the last publication, never carried past it', () => {
    expect(currencyStatus('HRK', '2022-12-30')).toEqual({ expected: true, currency: 'HRK' });
    // Saturday after the last kuna rate: no carry-forward from Friday
    expect(currencyStatus('HRK', '2022-12-31')).toEqual({
      expected: false,
      currency: 'HRK',
      reason: 'euro_adopted',
      lastPublished: '2022-12-30',
      note: 'Croatia adopted the euro on 2023-01-01',
    });
    expect(currencyStatus('RUB', '2022-03-02')).toMatchObject({
      expected: false,
      reason: 'suspended',
      lastPublished: '2022-03-01',
    });
    expect(isCurrencyExpected('RUB', '2022-03-01')).toBe(true);
    expect(currencyStatus('BGN', '2026-01-02')).toMatchObject({
      reason: 'euro_adopted',
      lastPublished: '2025-12-31',
    });
    expect(isCurrencyExpected('BGN', '2025-12-31')).toBe(true);
  });

  it('the ISK gap, with the day publication resumes', () => {
    expect(isCurrencyExpected('ISK', '2008-12-09')).toBe(true);
    expect(currencyStatus('ISK', '2008-12-10')).toEqual({
      expected: false,
      currency: 'ISK',
      reason: 'gap',
      lastPublished: '2008-12-09',
      resumes: '2018-02-01',
      note: 'not published from 2008-12-10 to 2018-01-31',
    });
    expect(currencyStatus('ISK', '2018-01-31')).toMatchObject({ expected: false, reason: 'gap' });
    expect(isCurrencyExpected('ISK', '2018-02-01')).toBe(true);
  });

  it('redenominations name the successor, which starts the next day', () => {
    expect(currencyStatus('TRL', '2005-01-03')).toMatchObject({
      reason: 'redenominated',
      lastPublished: '2004-12-31',
      successor: 'TRY',
    });
    expect(currencyStatus('TRY', '2004-12-31')).toEqual({
      expected: false,
      currency: 'TRY',
      reason: 'not_yet',
      firstPublished: '2005-01-03',
    });
    expect(isCurrencyExpected('TRY', '2005-01-03')).toBe(true);
    expect(currencyStatus('ROL', '2005-07-01')).toMatchObject({ successor: 'RON' });
    expect(isCurrencyExpected('RON', '2005-07-01')).toBe(true);
  });

  it('EUR, unknown codes and dates before the history', () => {
    expect(isCurrencyExpected('EUR', '2030-01-01')).toBe(true);
    expect(currencyStatus('ARS', '2023-02-21')).toEqual({
      expected: false,
      currency: 'ARS',
      reason: 'not_an_ecb_currency',
    });
    expect(currencyStatus('toString', '2023-02-21')).toMatchObject({
      reason: 'not_an_ecb_currency',
    });
    expect(currencyStatus('USD', '1998-12-31')).toMatchObject({ reason: 'before_history' });
    expect(() => currencyStatus('USD', '2023-02-30')).toThrow(RangeError);
  });

  it('currencies expected on a day', () => {
    expect(currenciesExpectedOn('2023-02-21')).toHaveLength(30);
    expect(currenciesExpectedOn('2026-03-02')).toHaveLength(29);
    expect(currenciesExpectedOn('2026-03-02')).not.toContain('BGN');
  });
});

describe('against every ECB fixture file', () => {
  it.each(ECB_FILES)('%s: a currency is published exactly when it is expected', async (name) => {
    for (const day of await days(name)) {
      const published = Object.keys(day.rates).sort();
      expect([day.date, published]).toEqual([day.date, currenciesExpectedOn(day.date)]);
    }
  });

  it('the fixtures show the changes the data records', async () => {
    const hrk = (await days('eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml'))
      .filter((d) => 'HRK' in d.rates)
      .map((d) => d.date);
    expect(hrk[0]).toBe('2022-12-30'); // newest first
    const d2016 = await days('eurofxref-hist_2016-05-27_to_2016-08-24.xml');
    expect(d2016.some((d) => 'ISK' in d.rates)).toBe(false);
    expect(d2016.every((d) => 'RUB' in d.rates && 'HRK' in d.rates)).toBe(true);
  });
});

describe('against the full ECB history 1999-01-04..2026-04-13', () => {
  it('expects, on every day, exactly the currencies the ECB published that day', async () => {
    const zip = fixture('ecb', 'eurofxref-hist_1999-01-04_to_2026-04-13.zip');
    const wrong: { date: string; published: string[]; expected: string[] }[] = [];
    for await (const day of readEcbHistZip(Readable.from([zip]))) {
      const published = Object.keys(day.rates).sort();
      const expected = currenciesExpectedOn(day.date).sort();
      if (published.join() !== expected.join()) wrong.push({ date: day.date, published, expected });
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});
