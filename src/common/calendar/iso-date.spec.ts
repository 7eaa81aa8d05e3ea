import * as isoDate from './iso-date';
import {
  nearestWeekday,
  nthWeekday,
  weekdayOrFridayBefore,
  weekdayOrMondayAfter,
} from './calendar-rules';

// The date arithmetic moved here from modules/exchange-rates/target-calendar.ts, whose spec
// still tests it through that file's re-exports; here: the helpers added for the exchanges.
describe('iso-date', () => {
  it('isoDateOf builds a checked date', () => {
    expect(isoDate.isoDateOf(2024, 2, 29)).toBe('2024-02-29');
    expect(isoDate.isoDateOf(1600, 3, 1)).toBe('1600-03-01');
    expect(() => isoDate.isoDateOf(2023, 2, 29)).toThrow(isoDate.InvalidIsoDateError);
    expect(() => isoDate.isoDateOf(2024, 4, 31)).toThrow(isoDate.InvalidIsoDateError);
  });
});

describe('calendar rules', () => {
  it('nthWeekday: the n-th or last given weekday of a month', () => {
    expect(nthWeekday(2024, 1, 1, 3)).toBe('2024-01-15'); // MLK day
    expect(nthWeekday(2024, 11, 4, 4)).toBe('2024-11-28'); // Thanksgiving
    expect(nthWeekday(2006, 11, 4, 4)).toBe('2006-11-23'); // a November with 5 Thursdays
    expect(nthWeekday(2024, 5, 1, -1)).toBe('2024-05-27'); // Memorial Day
    expect(nthWeekday(2021, 5, 1, -1)).toBe('2021-05-31'); // the 31st itself
    expect(nthWeekday(2024, 12, 2, -1)).toBe('2024-12-31');
    expect(nthWeekday(2020, 9, 1, 1)).toBe('2020-09-07');
  });

  it('moves weekend days to weekdays', () => {
    expect(nearestWeekday('2021-12-25', 'Christmas Day')).toEqual({
      date: '2021-12-24',
      name: 'Christmas Day (observed)',
    });
    expect(nearestWeekday('2022-12-25', 'X').date).toBe('2022-12-26');
    expect(nearestWeekday('2024-12-25', 'X')).toEqual({ date: '2024-12-25', name: 'X' });
    expect(weekdayOrMondayAfter('2022-01-01')).toBe('2022-01-03');
    expect(weekdayOrMondayAfter('2023-01-01')).toBe('2023-01-02');
    expect(weekdayOrMondayAfter('2024-01-01')).toBe('2024-01-01');
    expect(weekdayOrFridayBefore('2022-12-24')).toBe('2022-12-23');
    expect(weekdayOrFridayBefore('2023-12-24')).toBe('2023-12-22');
    expect(weekdayOrFridayBefore('2024-12-24')).toBe('2024-12-24');
  });
});
