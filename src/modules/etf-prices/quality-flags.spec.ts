import { Readable } from 'node:stream';
import { fixture } from '../../../test/utils/fixtures';
import { addDays, isoWeekday, type IsoDate } from '../exchange-rates/target-calendar';
import type { PriceBar } from './price-bar';
import { readPriceCsv } from './price-csv';
import { flagBars } from './quality-flags';

const weekday = (date: IsoDate) => isoWeekday(date) <= 5;

/** A clean bar closing at `close` (open = close, a 1 % range around it). */
function bar(date: IsoDate, close: number, changes: Partial<PriceBar> = {}): PriceBar {
  const c = close.toFixed(2);
  const [high, low] = [(close * 1.01).toFixed(2), (close * 0.99).toFixed(2)];
  return { date, open: c, high, low, close: c, adjClose: null, volume: '1000', ...changes };
}

/**
 * `n` weekday bars from 2024-01-01 wobbling around 100 (±2 %), the closes at `scaled`
 * indexes multiplied by `factor` (a pence/pound switch).
 */
function series(n: number, scaled: number[] = [], factor = 100, level = 100): PriceBar[] {
  const bars: PriceBar[] = [];
  for (let date = '2024-01-01'; bars.length < n; date = addDays(date, 1)) {
    if (!weekday(date)) continue;
    const i = bars.length;
    const close = level * (1 + 0.02 * Math.sin(i)) * (scaled.includes(i) ? factor : 1);
    bars.push(bar(date, close));
  }
  return bars;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** The dates flagged jump_100x. */
function jumps(bars: PriceBar[]): IsoDate[] {
  const flags = flagBars(bars, weekday);
  return bars.filter((b) => flags.get(b.date)?.includes('jump_100x')).map((b) => b.date);
}
const datesAt = (bars: PriceBar[], indexes: number[]) => indexes.map((i) => bars[i].date);

describe('flagBars: the rules of one bar', () => {
  it('a clean series has no flag', () => {
    expect(flagBars(series(60), weekday).size).toBe(0);
  });

  it('zero_price, outside_range, flat_zero_volume, closed_day, in that order', () => {
    const bars = [
      bar('2024-01-01', 100, { low: '0' }),
      bar('2024-01-02', 100, { open: '102' }), // open above high (101)
      bar('2024-01-03', 100, { close: '98.5' }), // close below low (99)
      bar('2024-01-04', 100, { open: '100', high: '100', low: '100', volume: '0' }),
      bar('2024-01-05', 100, { open: '100', high: '100.00', low: '100', volume: null }),
      bar('2024-01-06', 100), // a Saturday
      bar('2024-01-07', 100, { open: '0', high: '0', low: '0', close: '0', volume: '0' }),
      bar('2024-01-08', 100, { high: '98', low: '99' }), // low above high
    ];
    expect(Object.fromEntries(flagBars(bars, weekday))).toEqual({
      '2024-01-01': ['zero_price'],
      '2024-01-02': ['outside_range'],
      '2024-01-03': ['outside_range'],
      '2024-01-04': ['flat_zero_volume'],
      '2024-01-06': ['closed_day'],
      '2024-01-07': ['zero_price', 'flat_zero_volume', 'closed_day'],
      '2024-01-08': ['outside_range'],
    });
  });

  it('refuses bars that are not date ascending', () => {
    const bars = series(3);
    expect(() => flagBars([bars[1], bars[0]], weekday)).toThrow(RangeError);
    expect(() => flagBars([bars[0], bars[0]], weekday)).toThrow(RangeError);
  });
});

describe('flagBars: jump_100x flags every bar of a block and none around it', () => {
  it('a one-bar spike', () => {
    const bars = series(40, [20]);
    expect(jumps(bars)).toEqual(datesAt(bars, [20]));
    expect(flagBars(bars, weekday).get(bars[20].date)).toEqual(['jump_100x']);
  });

  it('a three-week block in the middle', () => {
    const bars = series(60, range(20, 34));
    expect(jumps(bars)).toEqual(datesAt(bars, range(20, 34)));
  });

  it('a block at the start and a block at the end of the series', () => {
    const start = series(40, range(0, 4));
    expect(jumps(start)).toEqual(datesAt(start, range(0, 4)));
    const end = series(40, range(30, 39));
    expect(jumps(end)).toEqual(datesAt(end, range(30, 39)));
  });

  it('two separate blocks', () => {
    const bars = series(80, [...range(10, 14), ...range(50, 64)]);
    expect(jumps(bars)).toEqual(datesAt(bars, [...range(10, 14), ...range(50, 64)]));
  });

  it('a GBX series (pence) with a block read as pounds, and one ×100 again', () => {
    const pounds = series(50, range(15, 29), 0.01, 7_000);
    expect(jumps(pounds)).toEqual(datesAt(pounds, range(15, 29)));
    const tenThousand = series(50, range(15, 19), 100, 7_000);
    expect(jumps(tenThousand)).toEqual(datesAt(tenThousand, range(15, 19)));
  });

  it('a factor near 100 but not exactly (a real move on the day of the switch)', () => {
    const bars = series(40, [10, 11, 12], 140);
    expect(jumps(bars)).toEqual(datesAt(bars, [10, 11, 12]));
  });

  it('a zero close inside a block is zero_price, and does not end the block', () => {
    const bars = series(40, range(10, 19));
    bars[15] = bar(bars[15].date, 0);
    const flags = flagBars(bars, weekday);
    expect(jumps(bars)).toEqual(datesAt(bars, [10, 11, 12, 13, 14, 16, 17, 18, 19]));
    expect(flags.get(bars[15].date)).toEqual(['zero_price']);
  });

  it('genuine moves are not jumps: −50 %, −90 %, a doubling, ×10', () => {
    for (const factor of [0.5, 0.1, 2, 10]) {
      expect(jumps(series(40, range(20, 39), factor))).toEqual([]);
      expect(jumps(series(40, [20], factor))).toEqual([]);
    }
  });

  it('real VWCE on Xetra: no jump, its flat zero-volume bars of 2023-12-04..06 flagged', async () => {
    const csv = fixture('prices', 'VWCE_DE_daily_prices.csv');
    const { bars } = await readPriceCsv(Readable.from([csv]), {
      from: '2019-01-01',
      to: '2026-12-31',
    });
    expect(bars.length).toBeGreaterThan(1_700);
    const flags = flagBars(bars, weekday);
    const having = (flag: string) =>
      [...flags].filter(([, f]) => f.includes(flag as never)).map(([date]) => date);
    expect(having('jump_100x')).toEqual([]);
    expect(having('flat_zero_volume')).toEqual(['2023-12-04', '2023-12-05', '2023-12-06']);
    expect(having('closed_day')).toEqual([]);
  });
});
