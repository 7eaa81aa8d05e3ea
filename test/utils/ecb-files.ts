import { Readable } from 'node:stream';
import type { EcbDay } from '../../src/modules/exchange-rates/ecb-format';
import { readEcbHistZip } from '../../src/modules/exchange-rates/ecb-hist-csv';
import { fixture } from './fixtures';

let history: EcbDay[] | undefined;

/** Every day of the real ECB history fixture (1999-01-04 … 2026-04-13), newest first. */
export async function ecbHistory(): Promise<EcbDay[]> {
  if (!history) {
    const days: EcbDay[] = [];
    const zip = fixture('ecb', 'eurofxref-hist_1999-01-04_to_2026-04-13.zip');
    for await (const day of readEcbHistZip(Readable.from([zip]))) days.push(day);
    history = days;
  }
  return history;
}

/** An ECB XML file (daily or 90-day shape) holding `days`, newest first, as the ECB writes it. */
export function ecbXml(days: readonly EcbDay[]): string {
  const cubes = days
    .map(
      (d) =>
        `<Cube time="${d.date}">${Object.entries(d.rates)
          .map(([c, r]) => `<Cube currency="${c}" rate="${r}"/>`)
          .join('')}</Cube>`,
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">' +
    '<gesmes:subject>Reference rates</gesmes:subject><gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>' +
    `<Cube>${cubes}</Cube></gesmes:Envelope>`
  );
}

/** The 90-day file as the ECB would have served it on `today`: the days up to it, 90 back. */
export async function ecbHist90d(today: string): Promise<string> {
  const days = (await ecbHistory()).filter((d) => d.date <= today).slice(0, 64);
  return ecbXml(days);
}
