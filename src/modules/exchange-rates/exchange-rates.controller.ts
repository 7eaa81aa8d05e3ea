import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../../common/auth/auth.decorators';
import { ADMIN_ROLE, Principal } from '../../common/auth/principal';
import { ApiProblems } from '../../common/http/api-problems';
import { RequestValidationError } from '../../common/http/problem-details.filter';
import { anyJobView } from '../../common/tracking/job-view';
import { ecbToday } from './ecb-schedule';
import {
  CreateRatesUpdateDto,
  RatesUpdateJobs,
  RatesUpdatePage,
  RatesUpdateQuery,
  ratesUpdateView,
} from './exchange-rates.dto';
import {
  EXCHANGE_RATE_BACKFILL,
  EXCHANGE_RATE_UPDATE,
  MAX_RANGE_DAYS,
} from './exchange-rates.constants';
import { ExchangeRatesService } from './exchange-rates.service';
import { dayNumber, FIRST_PUBLICATION_DAY } from './target-calendar';

type Problem = { field: string; message: string };

/** The update side of the ECB rates: start a day or a range, see the per-day rows (admins). */
@ApiTags('exchange-rates')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Roles(ADMIN_ROLE)
@Controller('exchange-rates/updates')
export class ExchangeRateUpdatesController {
  constructor(private readonly rates: ExchangeRatesService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Load the ECB rates of one day ({ date }) or of a range ({ from, to }), admins only',
    description:
      'A day: its job (an existing day returns its job as it is). A range: one job that downloads the 90-day or the history file once and leaves one per-day row for each day.',
  })
  @ApiAcceptedResponse({ type: RatesUpdateJobs, description: 'The job doing the work' })
  @ApiProblems(400)
  async create(
    @Body() body: CreateRatesUpdateDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RatesUpdateJobs> {
    const problems = checkBody(body, ecbToday());
    if (problems.length) throw new RequestValidationError(problems);
    if (body.date) {
      const { job } = await this.rates.updateDay(body.date, principal);
      return { jobs: [anyJobView(EXCHANGE_RATE_UPDATE.type, job)] };
    }
    const { job } = await this.rates.updateRange(body.from!, body.to!, principal);
    return { jobs: [anyJobView(EXCHANGE_RATE_BACKFILL.type, job)] };
  }

  @Get()
  @ApiOperation({ summary: 'The per-day update rows of a range, oldest day first, admins only' })
  @ApiOkResponse({ type: RatesUpdatePage })
  @ApiProblems(400)
  async list(@Query() query: RatesUpdateQuery): Promise<RatesUpdatePage> {
    if (query.from && query.to && query.from > query.to) {
      throw new RequestValidationError([{ field: 'to', message: 'to must not be before from' }]);
    }
    const page = await this.rates.listUpdates(query);
    return { ...page, items: page.items.map(ratesUpdateView) };
  }
}

/** Exactly one form; real days from 1999-01-04 to today; a range of at most 30 years. */
function checkBody(body: CreateRatesUpdateDto, today: string): Problem[] {
  const { date, from, to } = body;
  if (date !== undefined && (from !== undefined || to !== undefined)) {
    return [{ field: 'date', message: 'give either date, or from and to, not both' }];
  }
  if (date === undefined && (from === undefined || to === undefined)) {
    return [
      {
        field: from === undefined ? 'from' : 'to',
        message:
          date === undefined && from === undefined && to === undefined
            ? 'give date, or from and to'
            : 'a range needs both from and to',
      },
    ];
  }
  const problems: Problem[] = [];
  const inHistory = (field: string, value: string) => {
    if (value < FIRST_PUBLICATION_DAY) {
      problems.push({ field, message: `the ECB's rates start on ${FIRST_PUBLICATION_DAY}` });
    } else if (value > today) {
      problems.push({
        field,
        message: `${value} is in the future (today is ${today} in Europe/Berlin)`,
      });
    }
  };
  if (date !== undefined) inHistory('date', date);
  else {
    inHistory('from', from!);
    inHistory('to', to!);
    if (from! > to!) problems.push({ field: 'to', message: 'to must not be before from' });
    else if (dayNumber(to!) - dayNumber(from!) + 1 > MAX_RANGE_DAYS) {
      problems.push({ field: 'to', message: `a range is at most ${MAX_RANGE_DAYS} days` });
    }
  }
  return problems;
}
