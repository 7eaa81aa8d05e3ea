/**
 * ISO 4217 currency codes in circulation (list one, as amended up to 2026), for validating
 * uploaded amounts. Left out on purpose: fund codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI,
 * UYW), precious metals (XAU, XAG, XPD, XPT), SDR-like units (XDR, XSU, XUA, XBA-XBD), the
 * testing and "no currency" codes (XTS, XXX), and withdrawn codes (HRK, ANG, SLL, ZWL, and BGN since the euro in 2026):
 * none of them is the currency of a bank transaction booked today. A dataset that must accept
 * historical codes should use its own list.
 */
export const ISO_4217_CODES: ReadonlySet<string> = new Set(
  [
    'AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN',
    'BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR',
    'FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD',
    'JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD',
    'MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP',
    'PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC',
    'SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST',
    'XAF XCD XCG XOF XPF YER ZAR ZMW ZWG',
  ]
    .join(' ')
    .split(' '),
);
