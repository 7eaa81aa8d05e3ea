import { addDays } from './iso-date';
import { dateIn, instantAt, isTimeZone, timeIn } from './zoned-time';

const at = (date: string, time: string, zone: string) => instantAt(date, time, zone).toISOString();
const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

// 2024 daylight-saving changes (local times):
// - Europe/Berlin: 31 Mar 02:00 → 03:00 (CET +1 → CEST +2), 27 Oct 03:00 → 02:00;
// - Europe/London: 31 Mar 01:00 → 02:00 (GMT → BST +1), 27 Oct 02:00 → 01:00;
// - America/New_York: 10 Mar 02:00 → 03:00 (EST -5 → EDT -4), 3 Nov 02:00 → 01:00.
describe('instantAt', () => {
  it('reads a wall-clock time in winter and in summer', () => {
    expect(at('2024-01-15', '17:30', 'Europe/Berlin')).toBe('2024-01-15T16:30:00.000Z');
    expect(at('2024-07-01', '17:30', 'Europe/Berlin')).toBe('2024-07-01T15:30:00.000Z');
    expect(at('2024-01-15', '16:30', 'Europe/London')).toBe('2024-01-15T16:30:00.000Z');
    expect(at('2024-07-01', '16:30', 'Europe/London')).toBe('2024-07-01T15:30:00.000Z');
    expect(at('2024-01-15', '16:00', 'America/New_York')).toBe('2024-01-15T21:00:00.000Z');
    expect(at('2024-07-01', '16:00', 'America/New_York')).toBe('2024-07-01T20:00:00.000Z');
  });

  it('is right on the days the clocks change, before and after the change', () => {
    expect(at('2024-03-31', '01:59', 'Europe/Berlin')).toBe('2024-03-31T00:59:00.000Z');
    expect(at('2024-03-31', '03:00', 'Europe/Berlin')).toBe('2024-03-31T01:00:00.000Z');
    expect(at('2024-03-31', '17:30', 'Europe/Berlin')).toBe('2024-03-31T15:30:00.000Z');
    expect(at('2024-10-27', '17:30', 'Europe/Berlin')).toBe('2024-10-27T16:30:00.000Z');
    expect(at('2024-03-31', '16:30', 'Europe/London')).toBe('2024-03-31T15:30:00.000Z');
    expect(at('2024-10-27', '16:30', 'Europe/London')).toBe('2024-10-27T16:30:00.000Z');
    expect(at('2024-03-10', '16:00', 'America/New_York')).toBe('2024-03-10T20:00:00.000Z');
    expect(at('2024-11-03', '16:00', 'America/New_York')).toBe('2024-11-03T21:00:00.000Z');
  });

  it('puts a time skipped by the spring change after the gap (read with the old offset)', () => {
    expect(at('2024-03-31', '02:30', 'Europe/Berlin')).toBe('2024-03-31T01:30:00.000Z'); // 03:30 CEST
    expect(at('2024-03-31', '01:30', 'Europe/London')).toBe('2024-03-31T01:30:00.000Z'); // 02:30 BST
    expect(at('2024-03-10', '02:30', 'America/New_York')).toBe('2024-03-10T07:30:00.000Z'); // 03:30 EDT
    expect(timeIn(instantAt('2024-03-31', '02:00', 'Europe/Berlin'), 'Europe/Berlin')).toBe(
      '03:00',
    );
  });

  it('takes the first of a time repeated by the autumn change (still summer time)', () => {
    expect(at('2024-10-27', '02:30', 'Europe/Berlin')).toBe('2024-10-27T00:30:00.000Z');
    expect(at('2024-10-27', '01:30', 'Europe/London')).toBe('2024-10-27T00:30:00.000Z');
    expect(at('2024-11-03', '01:30', 'America/New_York')).toBe('2024-11-03T05:30:00.000Z');
  });

  it('round-trips every half hour across both changes, except in the spring gap', () => {
    const zones: [string, string, string][] = [
      ['Europe/Berlin', '2024-03-31', '2024-10-27'],
      ['Europe/London', '2024-03-31', '2024-10-27'],
      ['America/New_York', '2024-03-10', '2024-11-03'],
    ];
    let gaps = 0;
    for (const [zone, spring, autumn] of zones) {
      for (const base of [spring, autumn]) {
        for (const date of [addDays(base, -1), base, addDays(base, 1)]) {
          for (let minutes = 0; minutes < 24 * 60; minutes += 30) {
            const instant = instantAt(date, hhmm(minutes), zone);
            const local = [dateIn(instant, zone), timeIn(instant, zone)];
            if (date === spring && local[1] !== hhmm(minutes)) {
              // in the one-hour gap: the clocks show the time one hour later
              expect(local).toEqual([date, hhmm(minutes + 60)]);
              gaps += 1;
            } else {
              expect(local).toEqual([date, hhmm(minutes)]);
            }
          }
        }
      }
    }
    expect(gaps).toBe(6); // two half hours skipped in each zone
  });

  it('refuses a bad time, date or zone', () => {
    expect(() => instantAt('2024-01-15', '24:00', 'Europe/Berlin')).toThrow(RangeError);
    expect(() => instantAt('2024-01-15', '9:30', 'Europe/Berlin')).toThrow(RangeError);
    expect(() => instantAt('2024-02-30', '09:30', 'Europe/Berlin')).toThrow(RangeError);
    expect(() => instantAt('2024-01-15', '09:30', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('dateIn and timeIn', () => {
  it('give the local date and time, which can be another day than in UTC', () => {
    const instant = new Date('2024-07-01T22:30:00Z');
    expect([dateIn(instant, 'Europe/Berlin'), timeIn(instant, 'Europe/Berlin')]).toEqual([
      '2024-07-02',
      '00:30',
    ]);
    expect([dateIn(instant, 'America/New_York'), timeIn(instant, 'America/New_York')]).toEqual([
      '2024-07-01',
      '18:30',
    ]);
    expect(timeIn(new Date('2024-01-15T00:00:59.999Z'), 'Europe/London')).toBe('00:00');
  });

  it('refuse an invalid Date', () => {
    expect(() => dateIn(new Date('nope'), 'Europe/Berlin')).toThrow(RangeError);
    expect(() => timeIn(new Date(NaN), 'Europe/Berlin')).toThrow(RangeError);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
