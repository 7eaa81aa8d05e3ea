import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AppConfig } from '../../config/app-config';
import type { EcbDay } from './ecb-format';
import { readEcbHistZip } from './ecb-hist-csv';
import { ecbToday } from './ecb-schedule';
import { readEcbXml } from './ecb-xml';
import type { RatesFileKind } from './exchange-rate-update.entity';

/**
 * Where rates come from: one file of days, streamed (newest first). Throws
 * RatesSourceError (no usable answer: status, timeout, network, too large, a day after
 * today) or EcbFormatError (the bytes are not the file); both are retried by the jobs.
 * Aborts with `signal`.
 */
export interface RatesSource {
  days(kind: RatesFileKind, signal: AbortSignal): AsyncIterable<EcbDay>;
}

/** The source gave no usable answer (HTTP status, timeout, network): worth retrying. */
export class RatesSourceError extends Error {
  constructor(
    message: string,
    readonly details: { url: string; status?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RatesSourceError';
  }
}

/** The file of each kind under ECB_BASE_URL. */
export const ECB_FILES: Record<RatesFileKind, string> = {
  daily: 'eurofxref-daily.xml',
  'hist-90d': 'eurofxref-hist-90d.xml',
  // The zipped CSV, not eurofxref-hist.xml: ~0.6 MB against 8 MB+ (see ecb-hist-csv.ts).
  hist: 'eurofxref-hist.zip',
};

/**
 * The most a file may weigh (the history ZIP is about 0.6 MB, the 90-day XML about 100 KB):
 * the body is held in memory before it is parsed.
 */
export const ECB_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The ECB's files under ECB_BASE_URL. ECB_TIMEOUT_MS covers the network only: the answer and
 * the whole body are read into memory (at most `maxBytes`) under the deadline, then parsed
 * from those chunks (still streaming, newest day first) with no deadline, so however slowly
 * the caller consumes the days (e.g. a backfill writing between them) does not count against
 * the ECB. A day after today (Europe/Berlin) fails the read: a file from the future is refused.
 */
@Injectable()
export class EcbRatesSource implements RatesSource {
  /** ECB_MAX_BYTES; tests lower it. */
  maxBytes = ECB_MAX_BYTES;

  constructor(private readonly config: AppConfig) {}

  async *days(kind: RatesFileKind, signal: AbortSignal): AsyncIterable<EcbDay> {
    const url = `${this.config.env.ECB_BASE_URL}/${ECB_FILES[kind]}`;
    const chunks = await this.download(url, signal);
    const today = ecbToday();
    const body = Readable.from(chunks);
    const parsed = kind === 'hist' ? readEcbHistZip(body) : readEcbXml(body);
    try {
      for await (const day of parsed) {
        if (day.date > today) {
          throw new RatesSourceError(
            `the ECB file ${url} holds ${day.date}, after today ${today}: refusing a file from the future`,
            { url },
          );
        }
        yield day;
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason; // cancel, time limit, shutdown: the job's own
      if (err instanceof RatesSourceError) throw err;
      if (err instanceof Error && err.name === 'EcbFormatError') throw err;
      throw new RatesSourceError(
        `the ECB file ${url} could not be read: ${err instanceof Error ? err.message : String(err)}`,
        { url },
        { cause: err },
      );
    }
  }

  /** The whole body, under ECB_TIMEOUT_MS (answer and body) and the size cap. */
  private async download(url: string, signal: AbortSignal): Promise<Uint8Array[]> {
    const timeoutMs = this.config.env.ECB_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = AbortSignal.any([signal, deadline]);
    const tooBig = () =>
      new RatesSourceError(
        `the ECB file ${url} is larger than ${this.maxBytes} bytes: refused (not the ECB's file)`,
        { url },
      );
    const fail = (err: unknown): never => {
      if (signal.aborted) throw signal.reason; // cancel, time limit, shutdown: the job's own
      if (deadline.aborted) {
        throw new RatesSourceError(
          `the ECB did not answer ${url} within ${timeoutMs} ms (ECB_TIMEOUT_MS)`,
          { url },
          { cause: err },
        );
      }
      if (err instanceof RatesSourceError) throw err;
      const why =
        err instanceof Error
          ? ((err.cause as Error | undefined)?.message ?? err.message)
          : String(err);
      throw new RatesSourceError(
        `the ECB file ${url} could not be read: ${why}`,
        { url },
        {
          cause: err,
        },
      );
    };
    let response: Response;
    try {
      response = await fetch(url, { signal: combined, headers: { accept: '*/*' } });
    } catch (err) {
      return fail(err);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      throw new RatesSourceError(
        `the ECB answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}`,
        { url, status: response.status },
      );
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > this.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooBig();
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxBytes) throw tooBig();
        chunks.push(value);
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      return fail(err);
    }
    return chunks;
  }
}
