import { TextDecoder } from 'node:util';

/** How decodeTextChunks counts and fails; the errors are the caller's own types. */
export interface TextChunksOptions {
  /** Refuse input longer than this many bytes (a string chunk counts its UTF-16 length). */
  maxBytes: number;
  /** The error thrown once more than `maxBytes` have arrived. */
  tooLarge: (maxBytes: number) => Error;
  /**
   * The error thrown for bytes that are not UTF-8: `atEnd` false for a bad sequence in the
   * middle, true when the input ends inside a multi-byte character.
   */
  notUtf8: (atEnd: boolean, cause: unknown) => Error;
}

/**
 * The text of a body that arrives as bytes (UTF-8, decoded fatally: no U+FFFD is ever made
 * up) or as strings (passed through), one string per chunk in arrival order, then the
 * decoder's final flush when it holds anything. A leading UTF-8 byte order mark is dropped.
 * Counts bytes as they arrive and throws `tooLarge()` before decoding the chunk that goes
 * over `maxBytes`, so an endless or oversized body costs at most one chunk more.
 */
export async function* decodeTextChunks(
  source: AsyncIterable<Uint8Array | string>,
  options: TextChunksOptions,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (bytes: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(bytes, { stream });
    } catch (err) {
      throw options.notUtf8(!stream, err);
    }
  };
  let bytes = 0;
  for await (const chunk of source) {
    bytes += typeof chunk === 'string' ? chunk.length : chunk.byteLength;
    if (bytes > options.maxBytes) throw options.tooLarge(options.maxBytes);
    yield typeof chunk === 'string' ? chunk : decode(chunk, true);
  }
  const rest = decode(new Uint8Array(0), false);
  if (rest !== '') yield rest;
}
