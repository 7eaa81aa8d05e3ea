/**
 * Which currency the ECB publishes when: the currencies it stopped publishing (euro adoption,
 * redenomination, suspension) with their last publication dates, and the ISK gap. Used to say
 * "unavailable since X" and never to carry a rate forward past a currency's last publication:
 * a currency is expected on a date only inside one of its periods, so a Saturday after the
 * last HRK rate (2022-12-30) gets no HRK rate from that Friday.
 *
 * Dates are the last (and first) days with a rate in the ECB's files. Checked against the
 * fixtures where they reach (see the spec): HRK until 2022-12-30, RUB absent by 2022-11-24, ISK
 * absent in 2016 and back by 2018-03-14, BGN present in 2025-04. RUB: the ECB's own notice
 * ("The ECB last published a EUR/RUB reference rate on 1 March 2022"; suspension decided on
 * 2 March). The others are the last TARGET day before each change took effect (euro adoption
 * on 1 January; TRL→TRY on 1 January 2005, ROL→RON on 1 July 2005).
 *
 * First and last publication days as in the ECB's full history file (checked day by day
 * against eurofxref-hist.zip of 2026-04-13 in currency-life.spec.ts).
 */
import { FIRST_PUBLICATION_DAY, isIsoDate, type IsoDate } from './target-calendar';

export type EndReason = 'euro_adopted' | 'redenominated' | 'suspended' | 'gap';

export interface Period {
  from: IsoDate;
  /** The last day with a rate; null while it is still published. */
  to: IsoDate | null;
}

export interface CurrencyLife {
  name: string;
  periods: Period[];
  /** Why the last (or each closed) period ended. */
  end?: { reason: EndReason; note: string; successor?: string };
  /** Why a gap between two periods exists. */
  gap?: { reason: 'gap'; note: string };
}

const SINCE_1999 = FIRST_PUBLICATION_DAY;

/** Every currency that has appeared in the ECB's reference rates, with when it did. */
export const CURRENCY_LIVES: Readonly<Record<string, CurrencyLife>> = Object.freeze({
  USD: { name: 'US dollar', periods: [{ from: SINCE_1999, to: null }] },
  JPY: { name: 'Japanese yen', periods: [{ from: SINCE_1999, to: null }] },
  BGN: {
    name: 'Bulgarian lev',
    periods: [{ from: '2000-07-19', to: '2025-12-31' }],
    end: { reason: 'euro_adopted', note: 'Bulgaria adopted the euro on 2026-01-01' },
  },
  CYP: {
    name: 'Cyprus pound',
    periods: [{ from: SINCE_1999, to: '2007-12-31' }],
    end: { reason: 'euro_adopted', note: 'Cyprus adopted the euro on 2008-01-01' },
  },
  CZK: { name: 'Czech koruna', periods: [{ from: SINCE_1999, to: null }] },
  DKK: { name: 'Danish krone', periods: [{ from: SINCE_1999, to: null }] },
  EEK: {
    name: 'Estonian kroon',
    periods: [{ from: SINCE_1999, to: '2010-12-31' }],
    end: { reason: 'euro_adopted', note: 'Estonia adopted the euro on 2011-01-01' },
  },
  GBP: { name: 'Pound sterling', periods: [{ from: SINCE_1999, to: null }] },
  HUF: { name: 'Hungarian forint', periods: [{ from: SINCE_1999, to: null }] },
  LTL: {
    name: 'Lithuanian litas',
    periods: [{ from: SINCE_1999, to: '2014-12-31' }],
    end: { reason: 'euro_adopted', note: 'Lithuania adopted the euro on 2015-01-01' },
  },
  LVL: {
    name: 'Latvian lats',
    periods: [{ from: SINCE_1999, to: '2013-12-31' }],
    end: { reason: 'euro_adopted', note: 'Latvia adopted the euro on 2014-01-01' },
  },
  MTL: {
    name: 'Maltese lira',
    periods: [{ from: SINCE_1999, to: '2007-12-31' }],
    end: { reason: 'euro_adopted', note: 'Malta adopted the euro on 2008-01-01' },
  },
  PLN: { name: 'Polish zloty', periods: [{ from: SINCE_1999, to: null }] },
  ROL: {
    name: 'Romanian leu (old)',
    periods: [{ from: SINCE_1999, to: '2005-06-30' }],
    end: {
      reason: 'redenominated',
      note: 'replaced by the new leu (RON, 10,000 ROL = 1 RON) on 2005-07-01',
      successor: 'RON',
    },
  },
  RON: { name: 'Romanian leu', periods: [{ from: '2005-07-01', to: null }] },
  SEK: { name: 'Swedish krona', periods: [{ from: SINCE_1999, to: null }] },
  SIT: {
    name: 'Slovenian tolar',
    periods: [{ from: SINCE_1999, to: '2006-12-29' }],
    end: { reason: 'euro_adopted', note: 'Slovenia adopted the euro on 2007-01-01' },
  },
  SKK: {
    name: 'Slovak koruna',
    periods: [{ from: SINCE_1999, to: '2008-12-31' }],
    end: { reason: 'euro_adopted', note: 'Slovakia adopted the euro on 2009-01-01' },
  },
  CHF: { name: 'Swiss franc', periods: [{ from: SINCE_1999, to: null }] },
  ISK: {
    name: 'Icelandic krona',
    periods: [
      { from: SINCE_1999, to: '2008-12-09' },
      { from: '2018-02-01', to: null },
    ],
    gap: { reason: 'gap', note: 'not published from 2008-12-10 to 2018-01-31' },
  },
  NOK: { name: 'Norwegian krone', periods: [{ from: SINCE_1999, to: null }] },
  HRK: {
    name: 'Croatian kuna',
    periods: [{ from: '2005-04-01', to: '2022-12-30' }],
    end: { reason: 'euro_adopted', note: 'Croatia adopted the euro on 2023-01-01' },
  },
  RUB: {
    name: 'Russian rouble',
    periods: [{ from: '2005-04-01', to: '2022-03-01' }],
    end: {
      reason: 'suspended',
      note: 'publication suspended until further notice after the rate of 2022-03-01',
    },
  },
  TRL: {
    name: 'Turkish lira (old)',
    periods: [{ from: SINCE_1999, to: '2004-12-31' }],
    end: {
      reason: 'redenominated',
      note: 'replaced by the new lira (TRY, 1,000,000 TRL = 1 TRY) on 2005-01-01',
      successor: 'TRY',
    },
  },
  TRY: { name: 'Turkish lira', periods: [{ from: '2005-01-03', to: null }] },
  AUD: { name: 'Australian dollar', periods: [{ from: SINCE_1999, to: null }] },
  BRL: { name: 'Brazilian real', periods: [{ from: '2008-01-02', to: null }] },
  CAD: { name: 'Canadian dollar', periods: [{ from: SINCE_1999, to: null }] },
  CNY: { name: 'Chinese yuan renminbi', periods: [{ from: '2005-04-01', to: null }] },
  HKD: { name: 'Hong Kong dollar', periods: [{ from: SINCE_1999, to: null }] },
  IDR: { name: 'Indonesian rupiah', periods: [{ from: '2005-04-01', to: null }] },
  ILS: { name: 'Israeli shekel', periods: [{ from: '2011-01-03', to: null }] },
  INR: { name: 'Indian rupee', periods: [{ from: '2009-01-02', to: null }] },
  KRW: { name: 'South Korean won', periods: [{ from: SINCE_1999, to: null }] },
  MXN: { name: 'Mexican peso', periods: [{ from: '2008-01-02', to: null }] },
  MYR: { name: 'Malaysian ringgit', periods: [{ from: '2005-04-01', to: null }] },
  NZD: { name: 'New Zealand dollar', periods: [{ from: SINCE_1999, to: null }] },
  PHP: { name: 'Philippine peso', periods: [{ from: '2005-04-01', to: null }] },
  SGD: { name: 'Singapore dollar', periods: [{ from: SINCE_1999, to: null }] },
  THB: { name: 'Thai baht', periods: [{ from: '2005-04-01', to: null }] },
  ZAR: { name: 'South African rand', periods: [{ from: SINCE_1999, to: null }] },
});

export type CurrencyStatus =
  | { expected: true; currency: string }
  | {
      expected: false;
      currency: string;
      reason: EndReason;
      /** The last day with a rate before `date`: "unavailable since" the day after. */
      lastPublished: IsoDate;
      /** When publication starts again (the ISK gap), if it does. */
      resumes?: IsoDate;
      successor?: string;
      note: string;
    }
  | { expected: false; currency: string; reason: 'not_yet'; firstPublished: IsoDate }
  | { expected: false; currency: string; reason: 'before_history'; firstPublished: IsoDate }
  | { expected: false; currency: string; reason: 'not_an_ecb_currency' };

/**
 * Whether the ECB is expected to have a rate for `currency` on `date` (or, on a closing day,
 * whether the last rate before it may stand for it), and if not, why and since when. EUR is
 * always expected. Says nothing about the day itself: combine with isPublicationDay.
 */
export function currencyStatus(currency: string, date: IsoDate): CurrencyStatus {
  if (!isIsoDate(date)) throw new RangeError(`not a date YYYY-MM-DD: ${JSON.stringify(date)}`);
  const life = Object.hasOwn(CURRENCY_LIVES, currency) ? CURRENCY_LIVES[currency] : undefined;
  if (currency === 'EUR') return { expected: true, currency };
  if (!life) return { expected: false, currency, reason: 'not_an_ecb_currency' };
  const first = life.periods[0].from;
  if (date < FIRST_PUBLICATION_DAY) {
    return { expected: false, currency, reason: 'before_history', firstPublished: first };
  }
  if (date < first) return { expected: false, currency, reason: 'not_yet', firstPublished: first };
  for (let i = 0; i < life.periods.length; i += 1) {
    const { from, to } = life.periods[i];
    if (date >= from && (to === null || date <= to)) return { expected: true, currency };
    const next = life.periods[i + 1];
    if (to !== null && date > to && (!next || date < next.from)) {
      const why = next ? (life.gap as NonNullable<CurrencyLife['gap']>) : life.end;
      if (!why) throw new Error(`currency data: ${currency} ends without a reason`);
      return {
        expected: false,
        currency,
        reason: why.reason,
        lastPublished: to,
        ...(next ? { resumes: next.from } : {}),
        ...('successor' in why && why.successor ? { successor: why.successor } : {}),
        note: why.note,
      };
    }
  }
  throw new Error(`currency data: ${currency} has no period for ${date}`);
}

/** Shorthand: currencyStatus(currency, date).expected. */
export function isCurrencyExpected(currency: string, date: IsoDate): boolean {
  return currencyStatus(currency, date).expected;
}

/** The currencies expected on `date` (EUR excluded), in code order. */
export function currenciesExpectedOn(date: IsoDate): string[] {
  return Object.keys(CURRENCY_LIVES)
    .filter((c) => isCurrencyExpected(c, date))
    .sort();
}
