import { Readable } from 'node:stream';
import { createReadStream } from 'node:fs';
import { fixture, fixturePath } from '../../../test/utils/fixtures';
import { type EcbDay, EcbFormatError } from './ecb-format';
import { EUROFXREF_NS, GESMES_NS, readEcbXml } from './ecb-xml';

async function collect(source: AsyncIterable<Uint8Array | string>): Promise<EcbDay[]> {
  const days: EcbDay[] = [];
  for await (const day of readEcbXml(source)) days.push(day);
  return days;
}

/** The bytes in pieces of `size` (cutting through tags, attributes and values). */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const parse = (xml: string | Buffer): Promise<EcbDay[]> =>
  collect(Readable.from([typeof xml === 'string' ? Buffer.from(xml) : xml]));

async function failure(xml: string | Buffer | AsyncIterable<Uint8Array>): Promise<EcbFormatError> {
  const source =
    typeof xml === 'string' || Buffer.isBuffer(xml) ? Readable.from([Buffer.from(xml)]) : xml;
  try {
    await collect(source);
  } catch (err) {
    if (err instanceof EcbFormatError) return err;
    throw err;
  }
  throw new Error('expected an EcbFormatError');
}

const DOC = (cubes: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope xmlns:gesmes="${GESMES_NS}" xmlns="${EUROFXREF_NS}"><gesmes:subject>Reference rates</gesmes:subject><Cube>${cubes}</Cube></gesmes:Envelope>`;

const DAY = (date: string, rates = '<Cube currency="USD" rate="1.0664"/>'): string =>
  `<Cube time="${date}">${rates}</Cube>`;

describe('readEcbXml on the real ECB files', () => {
  it('daily file (TAB-indented, single quotes, no final newline): one day, 30 rates as published', async () => {
    const days = await collect(
      createReadStream(fixturePath('ecb', 'eurofxref-daily_2025-04-03.xml')),
    );
    expect(days).toHaveLength(1);
    expect(days[0].date).toBe('2025-04-03');
    expect(Object.keys(days[0].rates)).toHaveLength(30);
    expect(days[0].rates).toMatchObject({
      USD: '1.1097',
      JPY: '162.17',
      PLN: '4.1960',
      GBP: '0.84163',
    });
  });

  it('90-day file: 63 days newest first, the issue’s 2023-02-21 rates, HRK until 2022-12-30', async () => {
    const days = await collect(
      createReadStream(fixturePath('ecb', 'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml')),
    );
    expect(days).toHaveLength(63);
    expect(days[0].date).toBe('2023-02-21');
    expect(days[days.length - 1].date).toBe('2022-11-24');
    expect(days[0].rates.USD).toBe('1.0664');
    expect(days[0].rates.GBP).toBe('0.87925');
    const withHrk = days.filter((d) => 'HRK' in d.rates).map((d) => d.date);
    expect(withHrk[0]).toBe('2022-12-30');
    expect(days.find((d) => d.date === '2023-01-02')?.rates.HRK).toBeUndefined();
    // a rate without a decimal point, as published in the history files
    expect(days.some((d) => d.rates.HUF === '410')).toBe(true);
  });

  it.each([
    ['eurofxref-hist-90d_2018-03-14_to_2018-06-11.xml', 61],
    ['eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml', 61],
    ['eurofxref-hist_2016-05-27_to_2016-08-24.xml', 64],
    ['eurofxref-daily_2024-02-27.xml', 1],
  ])('%s: %i days, read the same in 1, 7 and 4096-byte pieces', async (name, count) => {
    const bytes = fixture('ecb', name);
    const whole = await parse(bytes);
    expect(whole).toHaveLength(count);
    expect(await collect(pieces(bytes, 7))).toEqual(whole);
    expect(await collect(pieces(bytes, 4096))).toEqual(whole);
    if (count === 1) expect(await collect(pieces(bytes, 1))).toEqual(whole);
  });

  it('keeps each file’s strings: the daily file has trailing zeros the 90-day file drops', async () => {
    const [daily] = await parse(fixture('ecb', 'eurofxref-daily_2024-02-27.xml'));
    const ninety = await parse(fixture('ecb', 'eurofxref-hist-90d_2023-11-30_to_2024-02-27.xml'));
    const same = ninety.find((d) => d.date === daily.date) as EcbDay;
    expect(Object.keys(same.rates).sort()).toEqual(Object.keys(daily.rates).sort());
    expect(daily.rates.GBP).toBe('0.85620');
    expect(same.rates.GBP).toBe('0.8562');
    for (const [currency, rate] of Object.entries(daily.rates)) {
      expect([currency, Number(same.rates[currency])]).toEqual([currency, Number(rate)]);
    }
  });
});

describe('namespaces, not prefixes', () => {
  it('reads another prefix, prefixed Cubes and the default namespace on the envelope alike', async () => {
    const expected = [{ date: '2023-02-21', rates: { USD: '1.0664', GBP: '0.87925' } }];
    const rates = `<Cube currency='USD' rate='1.0664'/><Cube currency="GBP" rate="0.87925"/>`;
    expect(await parse(DOC(DAY('2023-02-21', rates)))).toEqual(expected);
    const prefixed = `<g:Envelope xmlns:g="${GESMES_NS}" xmlns:e="${EUROFXREF_NS}"><e:Cube><e:Cube time='2023-02-21'><e:Cube currency='USD' rate='1.0664'/><e:Cube currency='GBP' rate='0.87925'/></e:Cube></e:Cube></g:Envelope>`;
    expect(await parse(prefixed)).toEqual(expected);
    const defaultNs = `<Envelope xmlns="${GESMES_NS}"><Cube xmlns="${EUROFXREF_NS}"><Cube time="2023-02-21">${rates}</Cube></Cube></Envelope>`;
    expect(await parse(defaultNs)).toEqual(expected);
  });

  it('a Cube in no namespace or another one is not a Cube', async () => {
    const noNs = `<gesmes:Envelope xmlns:gesmes="${GESMES_NS}"><Cube><Cube time="2023-02-21"><Cube currency="USD" rate="1.0664"/></Cube></Cube></gesmes:Envelope>`;
    expect((await failure(noNs)).code).toBe('no_rates');
    const otherNs = DOC(`<x:Cube xmlns:x="urn:other" time="2023-02-21"/>`);
    expect((await failure(otherNs)).code).toBe('no_rates');
  });

  it('the root must be gesmes:Envelope by namespace', async () => {
    const wrongNs = `<gesmes:Envelope xmlns:gesmes="urn:not-gesmes" xmlns="${EUROFXREF_NS}"><Cube>${DAY('2023-02-21')}</Cube></gesmes:Envelope>`;
    expect((await failure(wrongNs)).code).toBe('not_ecb');
  });

  it('ignores elements it does not know, and skips no day for them', async () => {
    const xml = DOC(
      `<note xmlns="urn:x">hi</note>${DAY('2023-02-21')}<!-- c -->${DAY('2023-02-20')}`,
    );
    expect((await parse(xml)).map((d) => d.date)).toEqual(['2023-02-21', '2023-02-20']);
  });
});

describe('errors', () => {
  it('an HTML page (the fixture) is not an ECB file', async () => {
    const err = await failure(fixture('ecb', 'not-xml-html-response.xml'));
    expect(err.code).toBe('not_ecb');
    expect(err.message).toMatch(/HTML page/);
  });

  it('HTML that is not even XML, JSON and plain text are not XML', async () => {
    const html = await failure(
      '<!DOCTYPE html><html lang=en><body>Service unavailable</body></html>',
    );
    expect(html.code).toBe('not_xml');
    expect(html.message).toMatch(/HTML page/);
    expect((await failure('{"rates":{}}')).code).toBe('not_xml');
    expect((await failure('Service Unavailable')).code).toBe('not_xml');
  });

  it('empty input', async () => {
    expect((await failure('')).code).toBe('empty');
    expect((await failure(Readable.from([]))).code).toBe('empty');
  });

  it('bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from(DOC('').slice(0, 60)), Buffer.from([0xff, 0xfe])]);
    expect((await failure(bytes)).code).toBe('not_xml');
  });

  it('a file cut anywhere is truncated, after the days read before the cut', async () => {
    const bytes = fixture('ecb', 'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml');
    const text = bytes.toString('utf8');
    const cuts = [
      100, // in the envelope's header
      Math.floor(bytes.length / 2),
      text.indexOf('rate="0.87925"') + 9, // inside an attribute value
      text.indexOf('</Cube>', 5000) + 7, // right after a day closed
      text.lastIndexOf('</Cube>'), // before the outer Cube closes
      text.lastIndexOf('</gesmes:Envelope>') + 5, // inside the last end tag
      bytes.length - 1,
    ];
    const all = (await parse(bytes)).map((d) => d.date);
    for (const cut of cuts) {
      const got: string[] = [];
      let error: unknown = null;
      try {
        for await (const day of readEcbXml(pieces(bytes.subarray(0, cut), 1000)))
          got.push(day.date);
      } catch (err) {
        error = err;
      }
      expect([cut, error instanceof EcbFormatError && error.code]).toEqual([cut, 'truncated']);
      expect(got).toEqual(all.slice(0, got.length)); // whole days only, in order
      if (cut === 100) expect(got).toEqual([]);
    }
  });

  it('no Cube at all', async () => {
    expect((await failure(DOC(''))).code).toBe('no_rates');
    expect((await failure(`<gesmes:Envelope xmlns:gesmes="${GESMES_NS}"/>`)).code).toBe('no_rates');
  });

  it.each([
    ['2023-02-30', 'bad_date'],
    ['2023-2-21', 'bad_date'],
    ['21.02.2023', 'bad_date'],
    ['2023-02-21T16:00:00', 'bad_date'],
    ['', 'bad_date'],
  ])('a malformed date %j', async (date, code) => {
    const err = await failure(DOC(DAY(date)));
    expect(err.code).toBe(code);
  });

  it.each([
    '',
    ' 1.0664',
    '1,0664',
    '-1.0664',
    '+1.0664',
    '1e3',
    '0',
    '0.000',
    '.5',
    '5.',
    '01.5',
    'N/A',
    'NaN',
    'Infinity',
    '1.06.64',
  ])('a malformed rate %j', async (rate) => {
    const err = await failure(DOC(DAY('2023-02-21', `<Cube currency="USD" rate="${rate}"/>`)));
    expect(err.code).toBe('bad_rate');
    expect(err.details).toMatchObject({ date: '2023-02-21', currency: 'USD', value: rate });
  });

  it.each(['usd', 'US', 'USDX', 'EUR', ''])('a malformed currency %j', async (currency) => {
    const err = await failure(DOC(DAY('2023-02-21', `<Cube currency="${currency}" rate="1.5"/>`)));
    expect(err.code).toBe('bad_currency');
  });

  it('a duplicate day, after yielding the first one', async () => {
    const got: string[] = [];
    let error: unknown = null;
    try {
      for await (const day of readEcbXml(
        Readable.from([DOC(DAY('2023-02-21') + DAY('2023-02-20') + DAY('2023-02-21'))]),
      )) {
        got.push(day.date);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EcbFormatError);
    expect((error as EcbFormatError).code).toBe('duplicate_day');
    expect((error as EcbFormatError).details.date).toBe('2023-02-21');
    expect(got).toEqual(['2023-02-21', '2023-02-20']);
  });

  it('a currency twice in a day', async () => {
    const rates = '<Cube currency="USD" rate="1.0664"/><Cube currency="USD" rate="1.0665"/>';
    expect((await failure(DOC(DAY('2023-02-21', rates)))).code).toBe('duplicate_currency');
  });

  it('Cubes in the wrong places', async () => {
    const cases = [
      DOC('<Cube currency="USD" rate="1.0664"/>'), // a rate outside any day
      DOC(`<Cube time="2023-02-21">${DAY('2023-02-20')}</Cube>`), // a day in a day
      DOC(DAY('2023-02-21', '<Cube currency="USD"/>')), // no rate
      DOC(DAY('2023-02-21', '<Cube rate="1.0664"/>')), // no currency
      DOC(DAY('2023-02-21', '')), // a day without rates
      DOC(
        DAY(
          '2023-02-21',
          '<Cube currency="USD" rate="1.0664"><Cube currency="GBP" rate="0.9"/></Cube>',
        ),
      ),
      DOC(DAY('2023-02-21', '<Cube/>')),
    ];
    for (const xml of cases)
      expect([xml, (await failure(xml)).code]).toEqual([xml, 'bad_structure']);
  });

  it('malformed XML after a good start, with its position', async () => {
    const err = await failure(DOC(DAY('2023-02-21')).replace('</Cube></gesmes', '</Cub></gesmes'));
    expect(err.code).toBe('malformed_xml');
    expect(err.details.line).toBe(1);
  });

  it('expands no entity it does not know (no DTD, no XXE)', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><gesmes:Envelope xmlns:gesmes="${GESMES_NS}" xmlns="${EUROFXREF_NS}"><Cube><Cube time="2023-02-21"><Cube currency="USD" rate="&x;"/></Cube></Cube></gesmes:Envelope>`;
    expect(['malformed_xml', 'bad_rate']).toContain((await failure(xml)).code);
  });

  it('refuses more bytes than allowed', async () => {
    const bytes = fixture('ecb', 'eurofxref-hist-90d_2022-11-24_to_2023-02-21.xml');
    let error: unknown = null;
    try {
      for await (const _ of readEcbXml(pieces(bytes, 4096), { maxBytes: 10_000 })) void _;
    } catch (err) {
      error = err;
    }
    expect((error as EcbFormatError).code).toBe('too_large');
  });
});

describe('streaming', () => {
  it('yields each day while the source is still being read: memory stays flat', async () => {
    const DAYS = 1500;
    let produced = 0;
    let maxAhead = 0;
    async function* history(): AsyncGenerator<string> {
      yield `<gesmes:Envelope xmlns:gesmes="${GESMES_NS}" xmlns="${EUROFXREF_NS}"><Cube>`;
      for (let i = 0; i < DAYS; i += 1) {
        produced += 1;
        const date = new Date(Date.UTC(2030, 0, 1) - i * 86_400_000).toISOString().slice(0, 10);
        yield `<Cube time="${date}"><Cube currency="USD" rate="1.${String(i).padStart(4, '0')}"/><Cube currency="JPY" rate="140.5"/></Cube>`;
      }
      yield '</Cube></gesmes:Envelope>';
    }
    let consumed = 0;
    for await (const day of readEcbXml(history())) {
      consumed += 1;
      maxAhead = Math.max(maxAhead, produced - consumed);
      if (day.rates.JPY !== '140.5') throw new Error(`JPY ${day.rates.JPY}`);
    }
    expect(consumed).toBe(DAYS);
    expect(maxAhead).toBeLessThanOrEqual(1);
  });
});
