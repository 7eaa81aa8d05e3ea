import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../../common/auth/auth.decorators';
import { ADMIN_ROLE, Principal } from '../../common/auth/principal';
import { dayNumber, fromDayNumber } from '../../common/calendar/iso-date';
import { ApiProblems } from '../../common/http/api-problems';
import { RequestValidationError } from '../../common/http/problem-details.filter';
import {
  CalendarDaysQuery,
  CalendarDaysView,
  ClosureList,
  ClosureView,
  closureView,
  CreateClosureDto,
  ClosureParams,
} from './exchange-calendars.dto';
import { ExchangeClosuresService } from './exchange-closures.service';

/** At most this many days per calendar read (about 3 years). */
const MAX_CALENDAR_DAYS = 1_100;

/** Exchange calendars: their days, and the closures operators add to them. */
@ApiTags('exchange-calendars')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('exchange-calendars')
export class ExchangeCalendarsController {
  constructor(private readonly closures: ExchangeClosuresService) {}

  @Get(':mic')
  @ApiOperation({
    summary:
      'The days of an exchange (XNYS, XETR, XLON) in a range: open (with its close, early or not) or closed and why',
  })
  @ApiOkResponse({ type: CalendarDaysView })
  @ApiProblems(400, 404)
  async days(
    @Param('mic') mic: string,
    @Query() query: CalendarDaysQuery,
  ): Promise<CalendarDaysView> {
    if (query.from > query.to) {
      throw new RequestValidationError([{ field: 'to', message: 'to must not be before from' }]);
    }
    if (dayNumber(query.to) - dayNumber(query.from) + 1 > MAX_CALENDAR_DAYS) {
      throw new RequestValidationError([
        { field: 'to', message: `at most ${MAX_CALENDAR_DAYS} days at once` },
      ]);
    }
    const { calendar, extra } = await this.closures.forRange(mic, query.from, query.to);
    const days = [];
    for (let n = dayNumber(query.from); n <= dayNumber(query.to); n += 1) {
      days.push(calendar.day(fromDayNumber(n), extra));
    }
    return {
      mic: calendar.mic,
      name: calendar.name,
      timeZone: calendar.timeZone,
      regularClose: calendar.regularClose,
      days,
    };
  }

  @Get(':mic/closures')
  @ApiOperation({ summary: 'The closures operators added to an exchange calendar' })
  @ApiOkResponse({ type: ClosureList })
  @ApiProblems(404)
  async list(@Param('mic') mic: string): Promise<ClosureList> {
    return { items: (await this.closures.list(mic)).map(closureView) };
  }

  @Post(':mic/closures')
  @Roles(ADMIN_ROLE)
  @ApiOperation({
    summary:
      'Add a closure the exchange announced (admins only); the calendar and every update use it at once',
  })
  @ApiCreatedResponse({ type: ClosureView })
  @ApiProblems(400, 403, 404, 409)
  async add(
    @Param('mic') mic: string,
    @Body() body: CreateClosureDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ClosureView> {
    return closureView(await this.closures.add(mic, body.date, body.name, principal.sub));
  }

  @Delete(':mic/closures/:date')
  @Roles(ADMIN_ROLE)
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an operator closure (admins only)' })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404)
  async remove(@Param() params: ClosureParams): Promise<void> {
    await this.closures.remove(params.mic, params.date);
  }
}
