import { ecbToday, fileFor } from './ecb-schedule';
import { closedNote, dayOutcome } from './exchange-rate-writer';

describe('which ECB file has a day', () => {
  it('the daily file for the latest publication day, the 90-day file within reach, else the history', () => {
    expect(fileFor('2024-02-27', '2024-02-27')).toBe('daily');
    // before the day's publication the daily file is older: the job waits (not published yet)
    expect(fileFor('2024-02-28', '2024-02-28')).toBe('daily');
    // a Saturday: Friday is the latest publication day
    expect(fileFor('2024-03-01', '2024-03-02')).toBe('daily');
    expect(fileFor('2024-02-26', '2024-02-27')).toBe('hist-90d');
    expect(fileFor('2023-12-10', '2024-02-28')).toBe('hist-90d');
    expect(fileFor('2023-12-09', '2024-02-28')).toBe('hist');
    expect(fileFor('2016-06-01', '2024-02-28')).toBe('hist');
  });

  it("today is Berlin's date", () => {
    expect(ecbToday(new Date('2024-02-27T23:30:00Z'))).toBe('2024-02-28');
    expect(ecbToday(new Date('2024-07-01T21:59:00Z'))).toBe('2024-07-01');
  });
});

describe('a day for its tracking row', () => {
  it('names a closing day', () => {
    expect(closedNote('2024-03-29')).toBe('closed: Good Friday (TARGET holiday)');
    expect(closedNote('2024-03-30')).toBe('closed: weekend');
    expect(closedNote('2024-03-28')).toBeNull();
  });

  it('keeps every published rate as is, and says why a wanted currency is absent', () => {
    const day = { date: '2023-01-02', rates: { USD: '1.0683', GBP: '0.88600', HRK: '7.5365' } };
    expect(dayOutcome(day, null)).toEqual({
      rates: day.rates,
      successCount: 3,
      totalCount: 3,
      notes: null,
    });
    const wanted = dayOutcome(day, ['USD', 'RUB', 'XXX']);
    expect(wanted).toMatchObject({ rates: { USD: '1.0683' }, successCount: 1, totalCount: 3 });
    expect(wanted.notes).toMatch(
      /^not published on 2023-01-02: RUB \(.*last published 2022-03-01.*\), XXX \(not a currency the ECB publishes\)$/,
    );
  });
});
