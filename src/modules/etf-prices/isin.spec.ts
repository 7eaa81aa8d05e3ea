import { isinProblem, isValidIsin } from './isin';

// Real ISINs, as their issuers publish them.
const REAL = [
  'IE00BK5BQT80', // Vanguard FTSE All-World UCITS ETF (Acc), VWCE
  'US78462F1030', // SPDR S&P 500 ETF Trust, SPY
  'US4642868065', // iShares MSCI Germany ETF, EWG
  'DE0005140008', // Deutsche Bank
  'GB00B03MLX29', // Royal Dutch Shell A (letters in the national number)
  'US0378331005', // Apple
  'IE00B4L5Y983', // iShares Core MSCI World UCITS ETF, IWDA
];

describe('ISIN', () => {
  it.each(REAL)('%s is valid', (isin) => {
    expect(isinProblem(isin)).toBeNull();
    expect(isValidIsin(isin)).toBe(true);
  });

  it.each(REAL)('%s with any other check digit is refused', (isin) => {
    for (let d = 0; d <= 9; d += 1) {
      const other = isin.slice(0, 11) + String(d);
      if (other === isin) continue;
      expect(isValidIsin(other)).toBe(false);
      expect(isinProblem(other)).toBe(
        `has the check digit ${d} where ${isin.slice(0, 11)} needs ${isin[11]}`,
      );
    }
  });

  it('catches a changed character and most swaps of two neighbours', () => {
    expect(isValidIsin('IE00BK6BQT80')).toBe(false); // 5 → 6
    expect(isValidIsin('GB00B03MLY29')).toBe(false); // X → Y
    expect(isValidIsin('US78462F1300')).toBe(false); // 0 and 3 swapped
    expect(isValidIsin('DE0005140080')).toBe(false); // 0 and 8 swapped
    // A known blind spot of the ISIN rule: two letters swapped can keep the check digit.
    expect(isValidIsin('IE00BK5BTQ80')).toBe(true);
  });

  it.each([
    ['', 'must be 12 characters long, not 0'],
    ['IE00BK5BQT8', 'must be 12 characters long, not 11'],
    ['IE00BK5BQT800', 'must be 12 characters long, not 13'],
    [
      'ie00bk5bqt80',
      'must start with a two-letter country code in capital letters (like IE or US)',
    ],
    [
      '1E00BK5BQT80',
      'must start with a two-letter country code in capital letters (like IE or US)',
    ],
    ['IE00bk5bqt80', 'must have capital letters or digits as characters 3 to 11'],
    ['IE00BK5-QT80', 'must have capital letters or digits as characters 3 to 11'],
    ['IE00BK5BQT8X', 'must end with a check digit (0-9)'],
    ['IE00BK5BQT8 ', 'must end with a check digit (0-9)'],
  ])('%j: %s', (value, problem) => {
    expect(isinProblem(value)).toBe(problem);
    expect(isValidIsin(value)).toBe(false);
  });
});
