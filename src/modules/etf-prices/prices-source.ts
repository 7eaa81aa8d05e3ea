import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { isIsoDate } from '../exchange-rates/target-calendar';
import type { EtfPricesSettings } from './etf-prices.settings';
import { PriceFormatError, readPriceCsv, type PriceCsvResult, type PriceRange } from './price-csv';

/**
 * Where daily prices come from: the bars of one symbol within [from, to], read whole (date
 * ascending; see price-csv.ts). Throws PricesSourceError (no usable answer: status, timeout,
 * network, cut short, too large) or PriceFormatError (the body is not a price CSV); both are
 * worth retrying unless `retryable` says otherwise. Aborts with `signal` (its reason thrown).
 */
export interface PricesSource {
  bars(symbol: string, range: PriceRange, signal: AbortSignal): Promise<PriceCsvResult>;
}

/** The source gave no usable answer. `retryable`: false for a 4xx that will not change. */
export class PricesSourceError extends Error {
  readonly url: string;
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    details: { url: string; status?: number; retryable?: boolean },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PricesSourceError';
    this.url = details.url;
    this.status = details.status;
    this.retryable = details.retryable ?? true;
  }
}

/** The most a price CSV may weigh (30 years of daily bars are about 1 MB). */
export const ETF_PRICES_MAX_BYTES = 32 * 1024 * 1024;

/** Statuses of the 4xx range that a later attempt may not get: timeout, too early, too many. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * Price CSVs over HTTP from the ETF_PRICES_URL template (`{symbol}` URL-encoded, `{from}` and
 * `{to}` ISO dates). ETF_PRICES_TIMEOUT_MS covers the answer and the whole body (parsed as it
 * arrives, at most `maxBytes`). A body shorter than its Content-Length is refused as cut
 * short. Messages show the URL with the values of key/token-like query parameters hidden.
 */
@Injectable()
export class HttpCsvPricesSource implements PricesSource {
  /** ETF_PRICES_MAX_BYTES; tests lower it. */
  maxBytes = ETF_PRICES_MAX_BYTES;

  constructor(private readonly config: AppConfig) {}

  /** The URL of one request. */
  url(symbol: string, range: PriceRange): string {
    if (!isIsoDate(range.from) || !isIsoDate(range.to) || range.from > range.to) {
      throw new RangeError(`not a date range: ${range.from}..${range.to}`);
    }
    return this.env.ETF_PRICES_URL.replaceAll('{symbol}', encodeURIComponent(symbol))
      .replaceAll('{from}', range.from)
      .replaceAll('{to}', range.to);
  }

  async bars(symbol: string, range: PriceRange, signal: AbortSignal): Promise<PriceCsvResult> {
    const url = this.url(symbol, range);
    const shown = redact(url);
    const timeoutMs = this.env.ETF_PRICES_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const error = (message: string, status?: number, retryable = true, cause?: unknown) =>
      new PricesSourceError(message, { url: shown, status, retryable }, { cause });
    const tooBig = () =>
      error(
        `the prices at ${shown} are larger than ${this.maxBytes} bytes: refused`,
        undefined,
        false,
      );
    let declared: number | null = null;
    let received = 0;
    const fail = (err: unknown): never => {
      if (signal.aborted) throw signal.reason; // cancel, time limit, shutdown: the job's own
      if (err instanceof PricesSourceError || err instanceof PriceFormatError) throw err;
      if (deadline.aborted) {
        throw error(`no answer from ${shown} within ${timeoutMs} ms (ETF_PRICES_TIMEOUT_MS)`);
      }
      const why = reason(err);
      if (declared !== null) {
        throw error(
          `the answer of ${shown} was cut short after ${received} of ${declared} bytes: ${why}`,
          undefined,
          true,
          err,
        );
      }
      throw error(`the prices at ${shown} could not be read: ${why}`, undefined, true, err);
    };

    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.any([signal, deadline]),
        headers: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.1' },
      });
    } catch (err) {
      return fail(err);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      const { status, statusText } = response;
      const retryable = status >= 500 || RETRYABLE_4XX.has(status);
      throw error(
        `${shown} answered ${status}${statusText ? ` ${statusText}` : ''}`,
        status,
        retryable,
      );
    }
    // Content-Length counts the bytes on the wire: compare only an uncompressed body.
    const length = response.headers.get('content-length');
    if (length !== null && !response.headers.get('content-encoding')) declared = Number(length);
    if (declared !== null && declared > this.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw tooBig();
    }
    const body = response.body;
    const maxBytes = this.maxBytes;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        received += chunk.byteLength;
        if (received > maxBytes) throw tooBig();
        yield chunk;
      }
      if (declared !== null && received < declared) throw new Error('the body ended early');
    }
    try {
      return await readPriceCsv(counted(), range, { maxBytes: Infinity });
    } catch (err) {
      return fail(err);
    }
  }

  /** The settings this source reads (EtfPricesSettings, validated with the app's others). */
  private get env(): Readonly<EtfPricesSettings> {
    return this.config.env as typeof this.config.env & Readonly<EtfPricesSettings>;
  }
}

/** `url` with the values of query parameters named like a credential shown as `***`. */
function redact(url: string): string {
  return url.replace(
    /([?&](?:[^=&#]*(?:key|token|secret|password|auth|sig)[^=&#]*)=)[^&#]*/gi,
    '$1***',
  );
}

/**
 * What went wrong, in words: fetch's "fetch failed" says nothing, its cause does (connect
 * ECONNREFUSED …, other side closed). Duck-typed: errors of another realm (undici's, under
 * a test runner's VM) are not `instanceof Error` here.
 */
function reason(err: unknown): string {
  const { message, cause } = (err ?? {}) as { message?: unknown; cause?: unknown };
  const inner = (cause ?? {}) as { message?: unknown; code?: unknown };
  for (const text of [inner.message, inner.code, message]) {
    if (typeof text === 'string' && text !== '') return text;
  }
  return String(err);
}
