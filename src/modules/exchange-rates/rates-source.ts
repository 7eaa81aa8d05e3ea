import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppConfig } from '../../config/app-config';
import type { EcbDay } from './ecb-format';
import { readEcbHistZip } from './ecb-hist-csv';
import { readEcbXml } from './ecb-xml';
import type { RatesFileKind } from './exchange-rate-update.entity';

/**
 * Where rates come from: one file of days, streamed (newest first). Throws
 * RatesSourceError (no usable answer: status, timeout, network) or EcbFormatError (the
 * bytes are not the file); both are retried by the jobs. Aborts with `signal`.
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

/** The ECB's files under ECB_BASE_URL, each read as it downloads (memory flat). */
@Injectable()
export class EcbRatesSource implements RatesSource {
  constructor(private readonly config: AppConfig) {}

  async *days(kind: RatesFileKind, signal: AbortSignal): AsyncIterable<EcbDay> {
    const url = `${this.config.env.ECB_BASE_URL}/${ECB_FILES[kind]}`;
    const timeoutMs = this.config.env.ECB_TIMEOUT_MS;
    // One deadline for the answer and the whole body.
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = AbortSignal.any([signal, deadline]);
    const fail = (err: unknown): never => {
      if (signal.aborted) throw signal.reason; // cancel, time limit, shutdown: the job's own
      if (deadline.aborted) {
        throw new RatesSourceError(
          `the ECB did not answer ${url} within ${timeoutMs} ms (ECB_TIMEOUT_MS)`,
          { url },
          { cause: err },
        );
      }
      if (err instanceof Error && err.name === 'EcbFormatError') throw err;
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
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    try {
      yield* kind === 'hist' ? readEcbHistZip(body) : readEcbXml(body);
    } catch (err) {
      return fail(err);
    } finally {
      body.destroy();
    }
  }
}
