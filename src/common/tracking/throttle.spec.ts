import { Throttle } from './throttle';

describe('Throttle', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('writes the first value at once and coalesces a burst into one trailing write of the latest', async () => {
    const written: number[] = [];
    const throttle = new Throttle<number>(1000, async (v) => void written.push(v));
    await throttle.push(1);
    for (let i = 2; i <= 50; i++) void throttle.push(i);
    expect(written).toEqual([1]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(written).toEqual([1, 50]);
  });

  it('flush writes what is pending now; cancel drops it', async () => {
    const written: number[] = [];
    const throttle = new Throttle<number>(1000, async (v) => void written.push(v));
    await throttle.push(1);
    void throttle.push(2);
    await throttle.flush();
    expect(written).toEqual([1, 2]);
    void throttle.push(3);
    throttle.cancel();
    await jest.advanceTimersByTimeAsync(5000);
    expect(written).toEqual([1, 2]);
  });

  it('keeps writing after a failed write', async () => {
    const written: number[] = [];
    let fail = true;
    const throttle = new Throttle<number>(0, async (v) => {
      if (fail) {
        fail = false;
        throw new Error('db down');
      }
      written.push(v);
    });
    await throttle.push(1);
    await throttle.push(2);
    expect(written).toEqual([2]);
  });
});
