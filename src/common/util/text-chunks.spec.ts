import { decodeTextChunks, type TextChunksOptions } from './text-chunks';

class TooLarge extends Error {}
class NotUtf8 extends Error {
  constructor(readonly atEnd: boolean) {
    super(atEnd ? 'ends inside a character' : 'not UTF-8');
  }
}
const OPTIONS: TextChunksOptions = {
  maxBytes: 100,
  tooLarge: (max) => new TooLarge(`over ${max}`),
  notUtf8: (atEnd) => new NotUtf8(atEnd),
};

async function decode(chunks: (Uint8Array | string)[], options = OPTIONS): Promise<string[]> {
  const out: string[] = [];
  for await (const text of decodeTextChunks(
    (async function* () {
      yield* chunks;
    })(),
    options,
  )) {
    out.push(text);
  }
  return out;
}
const bytes = (...values: number[]) => Uint8Array.from(values);

describe('decodeTextChunks', () => {
  it('decodes UTF-8 cut anywhere, passes strings through, drops a leading BOM', async () => {
    const euro = Buffer.from('\uFEFFa€b'); // BOM, a, three bytes for €, b
    const texts = await decode([euro.subarray(0, 5), euro.subarray(5), 'c€']);
    expect(texts).toEqual(['a', '€b', 'c€']);
    expect(texts.join('')).toBe('a€bc€');
  });

  it('throws the caller’s error for bytes that are not UTF-8, or cut inside a character', async () => {
    await expect(decode([bytes(0x61, 0xe9, 0x62)])).rejects.toEqual(new NotUtf8(false));
    const err = await decode([bytes(0x61, 0xe2, 0x82)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotUtf8);
    expect((err as NotUtf8).atEnd).toBe(true);
  });

  it('throws tooLarge before decoding the chunk that goes over maxBytes', async () => {
    const seen: string[] = [];
    const chunks = [new Uint8Array(60).fill(0x61), bytes(0xff, ...new Array(40).fill(0x61))];
    const err = await (async () => {
      for await (const t of decodeTextChunks(
        (async function* () {
          yield* chunks;
        })(),
        OPTIONS,
      )) {
        seen.push(t);
      }
    })().catch((e: unknown) => e);
    expect(err).toEqual(new TooLarge('over 100'));
    expect(seen).toEqual(['a'.repeat(60)]);
    expect(await decode([new Uint8Array(100).fill(0x61)])).toEqual(['a'.repeat(100)]);
  });
});
