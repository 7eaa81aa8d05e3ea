import { backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoffDelay', () => {
  const middle = () => 0.5; // no jitter
  const seconds = (n: number, random = middle) => backoffDelay(n, DEFAULT_BACKOFF, random) / 1000;

  it('starts at 5 s and doubles each attempt, capped at 600 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((n) => seconds(n))).toEqual([
      5, 10, 20, 40, 80, 160, 320, 600, 600, 600,
    ]);
  });

  it('spreads each delay by at most ±10 %, and never above the cap', () => {
    expect(seconds(1, () => 0)).toBe(4.5);
    expect(seconds(1, () => 0.999999)).toBeCloseTo(5.5, 3);
    expect(seconds(9, () => 0.999999)).toBe(600);
    expect(seconds(9, () => 0)).toBe(540);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(3);
      expect(d).toBeGreaterThanOrEqual(18_000);
      expect(d).toBeLessThanOrEqual(22_000);
    }
  });

  it('follows the schedule on a fake clock: retry i starts after the sum of the delays before it', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const started: number[] = [];
      const attempt = (n: number) => {
        started.push(Date.now());
        if (n < 4) setTimeout(() => attempt(n + 1), backoffDelay(n, DEFAULT_BACKOFF, middle));
      };
      attempt(1);
      jest.advanceTimersByTime(5_000 + 10_000 + 20_000);
      expect(started).toEqual([0, 5_000, 15_000, 35_000]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('treats odd inputs as the first attempt', () => {
    expect(seconds(0)).toBe(5);
    expect(seconds(-3)).toBe(5);
  });
});
