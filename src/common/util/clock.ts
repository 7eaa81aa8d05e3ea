/**
 * The clock "now" is read from wherever the date matters to the work (today's ECB day, the
 * last closed session of an exchange, due slots): tests set `now` to a moment of their
 * fixtures instead of waiting for it.
 */
export const appClock = { now: (): Date => new Date() };
