/**
 * Streaming reader of the ECB's euro reference-rate XML files: eurofxref-daily.xml (one day),
 * eurofxref-hist-90d.xml and eurofxref-hist.xml (one Cube per day, newest first):
 *
 *   <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 *                    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
 *     <Cube><Cube time="2023-02-21"><Cube currency="USD" rate="1.0664"/>…</Cube>…</Cube>
 *   </gesmes:Envelope>
 *
 * Elements are matched by namespace URI and local name (saxes with xmlns), so a different
 * prefix, the default namespace or either quote style read the same; a Cube in no namespace,
 * or in another one, is not a Cube. Elements this reader does not know are skipped.
 *
 * Memory stays flat: each day is yielded as soon as its Cube closes, and the parser only
 * keeps the day being read plus the set of dates already seen (for the duplicate check, a
 * few hundred KB for the whole history). No DTD or entity is expanded (saxes knows only the
 * five XML entities), so an external or recursive entity cannot be used against us.
 *
 * Which file feeds what: daily and 90-day updates read this XML; the full history is read
 * from eurofxref-hist.zip (see ecb-hist-csv.ts for why).
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { decodeTextChunks } from '../../common/util/text-chunks';
import {
  checkCurrency,
  checkDate,
  checkRate,
  DEFAULT_MAX_BYTES,
  type EcbDay,
  EcbFormatError,
  type EcbParseOptions,
  show,
} from './ecb-format';

export const GESMES_NS = 'http://www.gesmes.org/xml/2002-08-01';
export const EUROFXREF_NS = 'http://www.ecb.int/vocabulary/2002-08-01/eurofxref';

type CubeKind = 'container' | 'day' | 'rate';

/** The parse of one document; events fill `ready`, the generator drains it. */
class EcbXmlReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  readonly ready: EcbDay[] = [];
  private readonly seen = new Set<string>();
  private readonly cubes: CubeKind[] = [];
  private day: EcbDay | null = null;
  private tagStarted = false;
  private rootSeen = false;
  private rootClosed = false;
  private depth = 0;
  private head = '';
  days = 0;

  constructor() {
    this.parser.on('opentagstart', () => {
      this.tagStarted = true;
    });
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', (tag) => this.close(tag));
  }

  write(text: string): void {
    if (this.head.length < 512) this.head += text.slice(0, 512 - this.head.length);
    try {
      this.parser.write(text);
    } catch (err) {
      throw this.wrap(err, false);
    }
  }

  end(): void {
    try {
      this.parser.close();
    } catch (err) {
      throw this.wrap(err, true);
    }
    if (!this.rootClosed) {
      throw new EcbFormatError('truncated', 'the ECB XML ended before </gesmes:Envelope>');
    }
    if (this.days === 0) {
      throw new EcbFormatError('no_rates', 'the ECB XML has no day of rates (no <Cube time>)');
    }
  }

  private wrap(err: unknown, atEnd: boolean): unknown {
    if (err instanceof EcbFormatError) return err;
    const message = err instanceof Error ? err.message : String(err);
    const where = { line: this.parser.line, column: this.parser.column };
    if (atEnd && this.head.trim() === '') {
      return new EcbFormatError('empty', 'the ECB answer is empty', where, { cause: err });
    }
    const html = /^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)\b/i.test(this.head);
    if (atEnd && !this.rootClosed && !html && (this.tagStarted || this.head.startsWith('<?xml'))) {
      return new EcbFormatError('truncated', `the ECB XML is cut short: ${message}`, where, {
        cause: err,
      });
    }
    if (!this.rootSeen) {
      return new EcbFormatError(
        'not_xml',
        html
          ? `not XML but an HTML page: ${message}`
          : `not XML (starts with ${show(this.head.slice(0, 40))}): ${message}`,
        where,
        { cause: err },
      );
    }
    return new EcbFormatError('malformed_xml', `malformed ECB XML: ${message}`, where, {
      cause: err,
    });
  }

  private fail(code: 'bad_structure' | 'not_ecb', message: string): never {
    throw new EcbFormatError(code, message, { line: this.parser.line, column: this.parser.column });
  }

  private open(tag: SaxesTagNS): void {
    this.depth += 1;
    if (!this.rootSeen) {
      this.rootSeen = true;
      if (tag.uri !== GESMES_NS || tag.local !== 'Envelope') {
        const what = tag.local.toLowerCase() === 'html' ? ' (an HTML page)' : '';
        this.fail(
          'not_ecb',
          `not an ECB reference-rate file${what}: the root element is <${tag.name}> in namespace ${show(tag.uri)}, not gesmes:Envelope`,
        );
      }
      return;
    }
    if (tag.uri !== EUROFXREF_NS || tag.local !== 'Cube') return;
    const attrs = plainAttributes(tag);
    if (attrs.time !== undefined) {
      if (this.day) this.fail('bad_structure', `a day Cube inside the day ${this.day.date}`);
      const date = checkDate(attrs.time, 'Cube time');
      if (this.seen.has(date)) {
        throw new EcbFormatError('duplicate_day', `the day ${date} appears twice`, { date });
      }
      this.seen.add(date);
      this.day = { date, rates: {} };
      this.cubes.push('day');
    } else if (attrs.currency !== undefined || attrs.rate !== undefined) {
      if (!this.day || this.cubes[this.cubes.length - 1] !== 'day') {
        this.fail('bad_structure', 'a currency Cube outside a day Cube');
      }
      const { date, rates } = this.day;
      if (attrs.currency === undefined || attrs.rate === undefined) {
        this.fail('bad_structure', `${date}: a rate Cube needs both currency and rate`);
      }
      const currency = checkCurrency(attrs.currency, date);
      if (Object.hasOwn(rates, currency)) {
        throw new EcbFormatError('duplicate_currency', `${date}: ${currency} appears twice`, {
          date,
          currency,
        });
      }
      rates[currency] = checkRate(attrs.rate, date, currency);
      this.cubes.push('rate');
    } else {
      if (this.day) this.fail('bad_structure', `${this.day.date}: a Cube without attributes`);
      this.cubes.push('container');
    }
  }

  private close(tag: SaxesTagNS): void {
    this.depth -= 1;
    if (this.depth === 0) {
      this.rootClosed = true;
      return;
    }
    if (tag.uri !== EUROFXREF_NS || tag.local !== 'Cube') return;
    const kind = this.cubes.pop();
    if (kind !== 'day' || !this.day) return;
    if (Object.keys(this.day.rates).length === 0) {
      this.fail('bad_structure', `${this.day.date}: a day without any rate`);
    }
    this.ready.push(this.day);
    this.day = null;
    this.days += 1;
  }
}

/** The attributes in no namespace (time, currency, rate), by local name. */
function plainAttributes(tag: SaxesTagNS): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const attr of Object.values(tag.attributes)) {
    if (attr.uri === '' && attr.prefix === '') out[attr.local] = attr.value;
  }
  return out;
}

/**
 * The days of an ECB XML file, in file order (newest first for the history files), each as
 * soon as it has been read. Throws EcbFormatError (after the days before the fault).
 *
 * @param source bytes (UTF-8, as served) or text, e.g. an HTTP response body or a file stream
 */
export async function* readEcbXml(
  source: AsyncIterable<Uint8Array | string>,
  options: EcbParseOptions = {},
): AsyncGenerator<EcbDay, void, undefined> {
  const reader = new EcbXmlReader();
  const text = decodeTextChunks(source, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    tooLarge: (max) => new EcbFormatError('too_large', `the ECB XML is larger than ${max} bytes`),
    notUtf8: (atEnd, cause) =>
      new EcbFormatError(
        atEnd ? 'truncated' : 'not_xml',
        atEnd ? 'the ECB XML ends inside a character' : 'the ECB XML is not UTF-8',
        {},
        { cause },
      ),
  });
  for await (const chunk of text) {
    try {
      reader.write(chunk);
    } finally {
      yield* drain(reader.ready); // the days before a fault, then the fault
    }
  }
  try {
    reader.end();
  } finally {
    yield* drain(reader.ready);
  }
}

function* drain(ready: EcbDay[]): Generator<EcbDay> {
  while (ready.length > 0) yield ready.shift() as EcbDay;
}
