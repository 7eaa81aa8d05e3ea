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
import { dayNumber, fromDayNumber } from '../../common/calendar/iso-date';
import { dateIn } from '../../common/calendar/zoned-time';
import { ApiProblems } from '../../common/http/api-problems';
import { RequestValidationError } from '../../common/http/problem-details.filter';
import { AnyJobView, anyJobView } from '../../common/tracking/job-view';
import { appClock } from '../../common/util/clock';
import { DAILY_UPDATE } from './daily-updates.constants';
import { DailyUpdatesQuery, RunSlotDto, SlotList, slotView } from './daily-updates.dto';
import { DailyUpdatesService } from './daily-updates.service';

/** The first day an ISO date may name here (iso-date.ts: years 1583-9999). */
const FIRST_DAY = '1583-01-01';

/** At most this many days per calendar read. */
const MAX_DAYS = 366;

/** The daily-update calendar (admins). */
@ApiTags('daily-updates')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Roles(ADMIN_ROLE)
@Controller('daily-updates')
export class DailyUpdatesController {
  constructor(private readonly slots: DailyUpdatesService) {}

  @Get()
  @ApiOperation({
    summary:
      'The calendar: one entry per day and source, slots not created yet included (scheduled, overdue, or no_data on a closed day)',
  })
  @ApiOkResponse({ type: SlotList })
  @ApiProblems(400)
  async calendar(@Query() query: DailyUpdatesQuery): Promise<SlotList> {
    const now = appClock.now();
    const today = dateIn(now, 'UTC');
    const to = query.to ?? today;
    // Not before the first day dates exist for (a `to` early in 1583 is still a valid query).
    const from = query.from ?? fromDayNumber(Math.max(dayNumber(to) - 7, dayNumber(FIRST_DAY)));
    if (from > to) {
      throw new RequestValidationError([{ field: 'to', message: 'to must not be before from' }]);
    }
    if (dayNumber(to) - dayNumber(from) + 1 > MAX_DAYS) {
      throw new RequestValidationError([{ field: 'to', message: `at most ${MAX_DAYS} days` }]);
    }
    const entries = await this.slots.calendar(from, to, query.type, now);
    return { items: entries.map(slotView) };
  }

  @Post('run')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run one slot now, or again (409 while it runs)',
    description:
      'A slot that has ended is run again: its children that ended without the day’s data start anew.',
  })
  @ApiAcceptedResponse({ type: AnyJobView })
  @ApiProblems(400, 404, 409)
  async run(
    @Body() body: RunSlotDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AnyJobView> {
    const { job } = await this.slots.runSlot(body.date, body.type, principal);
    return anyJobView(DAILY_UPDATE.type, job);
  }
}
