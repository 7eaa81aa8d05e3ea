import { EXCHANGE_MICS, exchangeCalendar } from './exchange-calendar';
import { InvalidIsoDateError, isoWeekday } from './iso-date';
import { ruleCalendar } from './rule-calendar';
import { isTimeZone } from './zoned-time';

describe('exchange calendar registry', () => {
  it('lists the MICs, sorted, and finds each calendar by its exact MIC', () => {
    expect(EXCHANGE_MICS).toEqual(['XETR', 'XLON', 'XNYS']);
    expect(Object.isFrozen(EXCHANGE_MICS)).toBe(true);
    for (const mic of EXCHANGE_MICS) {
      const calendar = exchangeCalendar(mic);
      expect(calendar?.mic).toBe(mic);
      expect(isTimeZone(calendar!.timeZone)).toBe(true);
      expect(calendar!.regularClose).toMatch(/^\d\d:\d\d$/);
      expect(calendar!.firstDate).toBe('2000-01-01');
    }
    for (const unknown of ['XNAS', 'xnys', '', 'constructor', '__proto__']) {
      expect(exchangeCalendar(unknown)).toBeUndefined();
    }
  });
});

describe.each(EXCHANGE_MICS)('%s: the common behaviour', (mic) => {
  const calendar = exchangeCalendar(mic)!;

  it('closes every Saturday and Sunday, as weekend', () => {
    expect(calendar.day('2024-06-15')).toEqual({
      date: '2024-06-15',
      open: false,
      reason: 'weekend',
      name: 'Saturday',
    });
    expect(calendar.day('2024-06-16')).toMatchObject({
      open: false,
      reason: 'weekend',
      name: 'Sunday',
    });
    // a holiday on a weekend is still reported as the weekend
    expect(calendar.day('2022-12-25')).toMatchObject({ reason: 'weekend' });
  });

  it('answers an ordinary weekday with its regular close', () => {
    expect(calendar.day('2024-06-12')).toEqual({
      date: '2024-06-12',
      open: true,
      close: calendar.regularClose,
      earlyClose: false,
    });
  });

  it('lets an operator closure close an open day, but not change a closed one', () => {
    const extra = new Map([
      ['2024-06-12', 'Exchange outage'],
      ['2024-06-15', 'ignored: a Saturday'],
      ['2024-12-25', 'ignored: a holiday'],
    ]);
    expect(calendar.day('2024-06-12', extra)).toEqual({
      date: '2024-06-12',
      open: false,
      reason: 'operator_closure',
      name: 'Exchange outage',
    });
    expect(calendar.day('2024-06-15', extra)).toMatchObject({ reason: 'weekend' });
    expect(calendar.day('2024-12-25', extra)).toMatchObject({ reason: 'holiday' });
    expect(calendar.day('2024-06-12')).toMatchObject({ open: true }); // no state kept
    expect(calendar.tradingDays('2024-06-10', '2024-06-14', extra)).toEqual([
      '2024-06-10',
      '2024-06-11',
      '2024-06-13',
      '2024-06-14',
    ]);
  });

  it('an operator closure also closes an early-close day', () => {
    const christmasEve = '2024-12-24';
    const day = calendar.day(christmasEve);
    if (!day.open) return; // Xetra is closed all day on 24 December
    expect(day.earlyClose).toBe(true);
    const extra = new Map([[christmasEve, 'Storm']]);
    expect(calendar.day(christmasEve, extra)).toMatchObject({
      open: false,
      reason: 'operator_closure',
    });
  });

  it('tradingDays: both ends included, date order, empty when reversed', () => {
    const days = calendar.tradingDays('2024-01-01', '2024-12-31');
    expect(days.length).toBeGreaterThan(245);
    expect(days.length).toBeLessThan(256);
    expect([...days].sort()).toEqual(days);
    for (const date of days) expect(isoWeekday(date)).toBeLessThanOrEqual(5);
    expect(calendar.tradingDays('2024-06-12', '2024-06-12')).toEqual(['2024-06-12']);
    expect(calendar.tradingDays('2024-06-13', '2024-06-12')).toEqual([]);
  });

  it('holidays: weekdays only, in date order, a fresh copy each time', () => {
    for (let year = 2000; year <= 2030; year += 1) {
      const holidays = calendar.holidays(year);
      expect(holidays.map((h) => h.date)).toEqual(holidays.map((h) => h.date).sort());
      for (const h of holidays) {
        expect(h.date.startsWith(`${year}-`)).toBe(true);
        expect(isoWeekday(h.date)).toBeLessThanOrEqual(5);
        expect(calendar.day(h.date)).toMatchObject({ open: false, name: h.name });
      }
    }
    calendar.holidays(2024).pop();
    expect(calendar.holidays(2024).length).toBeGreaterThan(0);
    expect(calendar.holidays(2024)).toEqual(calendar.holidays(2024));
  });

  it('still answers before firstDate and far ahead, by the same rules', () => {
    expect(calendar.day('1990-01-01')).toMatchObject({ open: false }); // New Year's Day
    expect(calendar.day('2099-06-10')).toMatchObject({ open: true });
  });

  it('refuses a date that is not a calendar date', () => {
    expect(() => calendar.day('2024-02-30')).toThrow(InvalidIsoDateError);
    expect(() => calendar.tradingDays('2024-01-01', '2024-13-01')).toThrow(InvalidIsoDateError);
    expect(() => calendar.holidays(2024.5)).toThrow(RangeError);
  });
});

describe('ruleCalendar', () => {
  it('refuses rules that give a date outside their year', () => {
    const broken = ruleCalendar({
      mic: 'TEST',
      name: 'Test',
      timeZone: 'UTC',
      regularClose: '16:00',
      firstDate: '2000-01-01',
      rules: (year) => ({
        closures: [{ date: `${year + 1}-01-01`, name: 'wrong year', reason: 'holiday' }],
        earlyCloses: [],
      }),
    });
    expect(() => broken.day('2024-06-12')).toThrow(/another year/);
  });
});
