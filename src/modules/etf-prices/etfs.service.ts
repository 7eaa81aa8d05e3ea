import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { dayNumber, type IsoDate } from '../../common/calendar/iso-date';
import { appClock } from '../../common/util/clock';
import { DomainError } from '../../common/http/domain-error';
import { RequestValidationError } from '../../common/http/problem-details.filter';
import { TrackingStore } from '../../common/tracking/tracking-store';
import { MAX_UPDATE_DAYS } from './etf-prices.constants';
import { Etf } from './etf.entity';
import type { CreateEtfDto, PriceBarView, PricesView, UpdateEtfDto } from './etfs.dto';
import { ExchangeClosuresService } from './exchange-closures.service';
import { canonicalQuoteUnit, quoteUnitProblem } from './quote-units';

/** ETFs (reference data) and their stored prices. */
@Injectable()
export class EtfsService {
  constructor(
    private readonly store: TrackingStore,
    private readonly closures: ExchangeClosuresService,
  ) {}

  /**
   * The ETF of `symbol` (case-insensitive); 404 when there is none. Managed by `em` (a fresh
   * fork unless given): a change to it is written by flushing that same `em`.
   */
  async get(symbol: string, em: EntityManager = this.store.em()): Promise<Etf> {
    const etf = await em.findOne(Etf, { symbol: symbol.toUpperCase() });
    if (!etf) throw DomainError.notFound('ETF', symbol);
    return etf;
  }

  list(query: { active?: boolean; exchange?: string } = {}): Promise<Etf[]> {
    return this.store.em().find(
      Etf,
      {
        ...(query.active === undefined ? {} : { active: query.active }),
        ...(query.exchange ? { exchange: query.exchange } : {}),
      },
      { orderBy: { symbol: 'asc' } },
    );
  }

  async create(body: CreateEtfDto): Promise<Etf> {
    checkQuoteUnit(body.quoteUnit, body.currency);
    const em = this.store.em();
    const etf = em.create(Etf, {
      symbol: body.symbol,
      isin: body.isin,
      name: body.name.trim(),
      currency: body.currency,
      quoteUnit: canonicalQuoteUnit(body.quoteUnit)!,
      exchange: body.exchange,
      active: body.active ?? true,
    });
    try {
      await em.insert(etf);
    } catch (err) {
      throw this.clash(err, body);
    }
    return etf;
  }

  async update(symbol: string, body: UpdateEtfDto): Promise<Etf> {
    const em = this.store.em();
    // Loaded by the em that flushes: one loaded by another fork would never be written.
    const etf = await this.get(symbol, em);
    const currency = body.currency ?? etf.currency;
    const quoteUnit = body.quoteUnit ?? etf.quoteUnit;
    if (body.currency !== undefined || body.quoteUnit !== undefined) {
      checkQuoteUnit(quoteUnit, currency);
    }
    em.assign(etf, {
      ...(body.isin !== undefined ? { isin: body.isin } : {}),
      ...(body.name !== undefined ? { name: body.name.trim() } : {}),
      currency,
      quoteUnit: canonicalQuoteUnit(quoteUnit)!,
      ...(body.exchange !== undefined ? { exchange: body.exchange } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    });
    try {
      await em.flush();
    } catch (err) {
      throw this.clash(err, body);
    }
    return etf;
  }

  /**
   * The stored bars of [from, to] and the trading days of the ETF's exchange in it that have
   * no bar (never filled in: a missing day is said, not invented).
   */
  async prices(
    symbol: string,
    from: IsoDate,
    to: IsoDate,
    now: Date = appClock.now(),
  ): Promise<PricesView> {
    if (from > to) {
      throw new RequestValidationError([{ field: 'to', message: 'to must not be before from' }]);
    }
    if (dayNumber(to) - dayNumber(from) + 1 > MAX_UPDATE_DAYS) {
      throw new RequestValidationError([
        { field: 'to', message: `a range is at most ${MAX_UPDATE_DAYS} days` },
      ]);
    }
    const etf = await this.get(symbol);
    const rows = await this.store
      .em()
      .getConnection()
      .execute<PriceBarView[]>(
        `SELECT price_date::text AS date, open::text AS open, high::text AS high, low::text AS low,
              close::text AS close, adj_close::text AS "adjClose", volume::text AS volume, flags
       FROM etf_prices WHERE etf_id = ? AND price_date BETWEEN ? AND ? ORDER BY price_date`,
        [etf.symbol, from, to],
      );
    const { calendar, extra } = await this.closures.forRange(etf.exchange, from, to);
    const stored = new Set(rows.map((r) => r.date));
    // Only sessions that have closed can miss a price, and only from the calendar's first
    // proven date.
    const last = await this.closures.lastClosedSession(etf.exchange, now);
    const start = from < calendar.firstDate ? calendar.firstDate : from;
    const end = to < last ? to : last;
    const missingDates =
      start > end ? [] : calendar.tradingDays(start, end, extra).filter((d) => !stored.has(d));
    return { items: rows, missingDates };
  }

  private clash(err: unknown, body: { symbol?: string; isin?: string }): unknown {
    if (!(err instanceof UniqueConstraintViolationException)) return err;
    const isin = /isin/.test(err.message);
    return new DomainError(
      'CONFLICT',
      isin ? `an ETF with ISIN ${body.isin} exists` : `ETF ${body.symbol} exists`,
    );
  }
}

function checkQuoteUnit(unit: string, currency: string): void {
  const problem = quoteUnitProblem(unit, currency);
  if (problem) throw new RequestValidationError([{ field: 'quoteUnit', message: problem }]);
}
