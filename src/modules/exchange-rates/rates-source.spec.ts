import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { fixture } from '../../../test/utils/fixtures';
import type { AppConfig } from '../../config/app-config';
import { ecbClock } from './ecb-schedule';
import { EcbRatesSource, RatesSourceError } from './rates-source';

const HIST_90D = fixture('ecb', 'eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** EcbRatesSource against a local server: the deadline, the size cap, a file from the future. */
describe('EcbRatesSource', () => {
  let server: Server;
  let delayMs = 0;
  let source: EcbRatesSource;
  const realNow = ecbClock.now;

  beforeAll(async () => {
    // The body in 10 pieces over about 100 ms (well under the 400 ms deadline).
    server = createServer((_req, res) => {
      setTimeout(async () => {
        res.writeHead(200, { 'content-length': HIST_90D.length });
        const piece = Math.ceil(HIST_90D.length / 10);
        for (let at = 0; at < HIST_90D.length; at += piece) {
          res.write(HIST_90D.subarray(at, at + piece));
          await sleep(10);
        }
        res.end();
      }, delayMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const config = {
      env: { ECB_BASE_URL: `http://127.0.0.1:${port}`, ECB_TIMEOUT_MS: 400 },
    } as unknown as AppConfig;
    source = new EcbRatesSource(config);
  });
  afterAll(async () => {
    ecbClock.now = realNow;
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    delayMs = 0;
    source.maxBytes = 64 * 1024 * 1024;
    ecbClock.now = () => new Date('2024-02-28T12:00:00+01:00');
  });

  const read = async (onDay: () => Promise<void> = async () => undefined) => {
    const dates: string[] = [];
    for await (const day of source.days('hist-90d', new AbortController().signal)) {
      dates.push(day.date);
      await onDay();
    }
    return dates;
  };

  it('a slow consumer (our own writes) does not count against ECB_TIMEOUT_MS', async () => {
    // 61 days × 20 ms = 1.2 s of consuming, three times the 400 ms deadline.
    const dates = await read(() => sleep(20));
    expect(dates).toHaveLength(61);
    expect(dates[0]).toBe('2024-02-27');
  });

  it('a server slower than ECB_TIMEOUT_MS fails the read', async () => {
    delayMs = 800;
    await expect(read()).rejects.toThrow(/did not answer .* within 400 ms/);
  });

  it('a body over the size cap is refused', async () => {
    source.maxBytes = 1_000;
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RatesSourceError);
    expect((err as Error).message).toMatch(/larger than 1000 bytes/);
  });

  it('a file holding a day after today (Berlin) is refused before any day is handed on', async () => {
    ecbClock.now = () => new Date('2024-02-26T17:00:00+01:00');
    const seen: string[] = [];
    const err = await (async () => {
      for await (const day of source.days('hist-90d', new AbortController().signal))
        seen.push(day.date);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RatesSourceError);
    expect((err as Error).message).toMatch(
      /holds 2024-02-27, after today 2024-02-26: refusing a file from the future/,
    );
    expect(seen).toEqual([]);
  });
});
