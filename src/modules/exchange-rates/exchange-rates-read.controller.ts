import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/http/api-problems';
import { DomainError } from '../../common/http/domain-error';
import {
  ConversionView,
  ConvertQueryDto,
  ExchangeRatesQueryDto,
  ExchangeRatesView,
} from './exchange-rates-read.dto';
import { ExchangeRatesQuery } from './exchange-rates.query';
import { berlinToday } from './rates-answer';
import type { IsoDate } from './target-calendar';

/** The requested date, or today in Berlin; 400 for a date after today there. */
function requestedDate(date: string | undefined): IsoDate {
  const today = berlinToday();
  if (date === undefined) return today;
  if (date > today) {
    throw new DomainError(
      'INVALID_INPUT',
      `date ${date} is after today (${today}, Europe/Berlin)`,
      {
        errors: [{ field: 'date', message: `must not be after today (${today}, Europe/Berlin)` }],
      },
    );
  }
  return date;
}

/** ECB euro reference rates (reference data: any authenticated caller). */
@ApiTags('exchange-rates')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('exchange-rates')
export class ExchangeRatesReadController {
  constructor(private readonly query: ExchangeRatesQuery) {}

  @Get()
  @ApiOperation({
    summary:
      'The ECB rates of a date, or of the last publication before it (saying why); cross rates for any base',
  })
  @ApiOkResponse({ type: ExchangeRatesView })
  @ApiProblems(400, 404)
  async rates(@Query() query: ExchangeRatesQueryDto): Promise<ExchangeRatesView> {
    return this.query.rates(requestedDate(query.date), query.base, query.symbols ?? null);
  }

  @Get('convert')
  @ApiOperation({
    summary:
      'An amount in another currency at the cross rate of a date (or the last publication before it)',
  })
  @ApiOkResponse({ type: ConversionView })
  @ApiProblems(400, 404)
  async convert(@Query() query: ConvertQueryDto): Promise<ConversionView> {
    return this.query.convert(requestedDate(query.date), query.from, query.to, query.amount);
  }
}
