import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common/auth/auth.decorators';
import { ADMIN_ROLE } from '../../common/auth/principal';
import { ApiProblems } from '../../common/http/api-problems';
import { FreshnessList, freshnessView } from './freshness.dto';
import { FreshnessService } from './freshness.service';

/** How fresh each daily source's data is (admins); the same figures as the jobtrack_daily_* gauges. */
@ApiTags('daily-updates')
@ApiBearerAuth()
@ApiProblems(401, 403)
@Roles(ADMIN_ROLE)
@Controller('freshness')
export class FreshnessController {
  constructor(private readonly freshness: FreshnessService) {}

  @Get()
  @ApiOperation({
    summary:
      'Freshness per daily source: last success, last data date, the date the data is expected to have reached (calendar-aware), overdue and failed slots',
  })
  @ApiOkResponse({ type: FreshnessList })
  async list(): Promise<FreshnessList> {
    return { items: (await this.freshness.all()).map(freshnessView) };
  }
}
