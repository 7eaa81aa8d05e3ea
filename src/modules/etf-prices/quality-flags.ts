/**
 * Quality rules of daily bars: each broken rule is a flag stored on the bar and counted on
 * the update; a flagged bar is kept (never dropped, never "repaired" by a guess). Pure.
 *
 * - `zero_price`: open, high, low or close is 0.
 * - `outside_range`: open or close lies outside [low, high] (low > high breaks it too).
 * - `flat_zero_volume`: open = high = low = close and the volume is 0 (a placeholder bar of a
 *   day without trades, like VWCE's 2023-12-04..06 on Xetra). A null volume is not 0.
 * - `jump_100x`: the close is about 100 times or a hundredth of the level around it, the
 *   mark of a quote read in pence where pounds were meant (GBX/GBP) or the reverse. Such a
 *   block can last one bar or several weeks; every bar of it is flagged, its neighbours not.
 * - `closed_day`: a bar on a day the exchange was closed (by `isOpen`).
 *
 * How jump_100x finds the blocks: walking the closes in date order, a step whose factor
 * (close / previous close) is within [JUMP_MIN_FACTOR, JUMP_MAX_FACTOR] moves one level up,
 * within [1/JUMP_MAX_FACTOR, 1/JUMP_MIN_FACTOR] one level down; anything else (a genuine
 * 50 % drop is a factor of 0.5) stays on the level. The level held by the most bars is the
 * true one (on a tie, the earliest bar's level: the caller passes stored, already-judged
 * bars before the fetched ones); every bar on another level is flagged. Zero closes are left
 * out of the walk (they are zero_price). No ETF moves 30-fold in a day, and [30, 300] keeps
 * a factor-3 margin either side of 100 for a real move on the day of the switch.
 */
import { Decimal } from 'decimal.js';
import type { IsoDate } from '../exchange-rates/target-calendar';
import type { PriceBar } from './price-bar';

export type QualityFlag =
  'zero_price' | 'outside_range' | 'flat_zero_volume' | 'jump_100x' | 'closed_day';

/** Every flag, in the order a bar's flags are listed. */
export const QUALITY_FLAGS: readonly QualityFlag[] = [
  'zero_price',
  'outside_range',
  'flat_zero_volume',
  'jump_100x',
  'closed_day',
];

/** The smallest day-to-day factor of the close read as a pence/pound switch. */
export const JUMP_MIN_FACTOR = 30;
/** The largest such factor (beyond it: two switches at once, or not a switch). */
export const JUMP_MAX_FACTOR = 300;

/**
 * The flags of each flagged bar (a bar breaking no rule is absent), in QUALITY_FLAGS order.
 *
 * @param bars date ascending, no date twice; may include stored bars on both sides of the
 *   fetched range so a jump is judged against the level around it (flag only the ones you
 *   store)
 * @param isOpen whether the bar's exchange was open that day
 */
export function flagBars(
  bars: readonly PriceBar[],
  isOpen: (date: IsoDate) => boolean,
): Map<IsoDate, QualityFlag[]> {
  for (let i = 1; i < bars.length; i += 1) {
    if (!(bars[i - 1].date < bars[i].date)) {
      throw new RangeError(`bars must be date ascending: ${bars[i - 1].date}, ${bars[i].date}`);
    }
  }
  const jumped = jumpBlocks(bars);
  const flagged = new Map<IsoDate, QualityFlag[]>();
  bars.forEach((bar, i) => {
    const [open, high, low, close] = [bar.open, bar.high, bar.low, bar.close].map(
      (v) => new Decimal(v),
    );
    const broken: Record<QualityFlag, boolean> = {
      zero_price: [open, high, low, close].some((v) => v.isZero()),
      outside_range: [open, close].some((v) => v.lt(low) || v.gt(high)),
      flat_zero_volume:
        bar.volume !== null &&
        new Decimal(bar.volume).isZero() &&
        [high, low, close].every((v) => v.eq(open)),
      jump_100x: jumped.has(i),
      closed_day: !isOpen(bar.date),
    };
    const flags = QUALITY_FLAGS.filter((flag) => broken[flag]);
    if (flags.length > 0) flagged.set(bar.date, flags);
  });
  return flagged;
}

/** The indexes of the bars whose close is off the true level by a factor of about 100. */
function jumpBlocks(bars: readonly PriceBar[]): Set<number> {
  const levels = new Map<number, number>(); // bar index → level
  const counts = new Map<number, number>(); // level → bars (in order of first appearance)
  let level = 0;
  let previous: Decimal | null = null;
  bars.forEach((bar, i) => {
    const close = new Decimal(bar.close);
    if (close.isZero()) return;
    if (previous) {
      const factor = close.div(previous);
      if (factor.gte(JUMP_MIN_FACTOR) && factor.lte(JUMP_MAX_FACTOR)) level += 1;
      const inverse = previous.div(close);
      if (inverse.gte(JUMP_MIN_FACTOR) && inverse.lte(JUMP_MAX_FACTOR)) level -= 1;
    }
    previous = close;
    levels.set(i, level);
    counts.set(level, (counts.get(level) ?? 0) + 1);
  });
  let trueLevel = 0;
  let most = 0;
  for (const [l, count] of counts) {
    if (count > most) [trueLevel, most] = [l, count];
  }
  const off = new Set<number>();
  for (const [i, l] of levels) if (l !== trueLevel) off.add(i);
  return off;
}
