import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../../common/auth/auth.decorators';
import { ADMIN_ROLE, Principal } from '../../common/auth/principal';
import { ApiProblems } from '../../common/http/api-problems';
import { AnyJobView, anyJobView } from '../../common/tracking/job-view';
import { ETF_UPDATE } from './etf-prices.constants';
import { CreateEtfUpdateDto } from './etf-updates.dto';
import { EtfUpdatesService } from './etf-updates.service';
import {
  CreateEtfDto,
  EtfList,
  EtfView,
  etfView,
  PricesQuery,
  PricesView,
  UpdateEtfDto,
} from './etfs.dto';
import { EtfsService } from './etfs.service';

/** ETFs and their daily prices (reference data: any caller reads, admins write). */
@ApiTags('etfs')
@ApiBearerAuth()
@ApiProblems(401)
@Controller('etfs')
export class EtfsController {
  constructor(
    private readonly etfs: EtfsService,
    private readonly updates: EtfUpdatesService,
  ) {}

  @Post()
  @Roles(ADMIN_ROLE)
  @ApiOperation({ summary: 'Add an ETF (admins only)' })
  @ApiCreatedResponse({ type: EtfView })
  @ApiProblems(400, 403, 409)
  async create(@Body() body: CreateEtfDto): Promise<EtfView> {
    return etfView(await this.etfs.create(body));
  }

  @Patch(':symbol')
  @Roles(ADMIN_ROLE)
  @ApiOperation({ summary: 'Change an ETF (admins only); the symbol is its id' })
  @ApiOkResponse({ type: EtfView })
  @ApiProblems(400, 403, 404, 409)
  async update(@Param('symbol') symbol: string, @Body() body: UpdateEtfDto): Promise<EtfView> {
    return etfView(await this.etfs.update(symbol, body));
  }

  @Get()
  @ApiOperation({ summary: 'Every ETF, by symbol' })
  @ApiOkResponse({ type: EtfList })
  async list(): Promise<EtfList> {
    return { items: (await this.etfs.list()).map(etfView) };
  }

  @Get(':symbol')
  @ApiOperation({ summary: 'One ETF' })
  @ApiOkResponse({ type: EtfView })
  @ApiProblems(404)
  async get(@Param('symbol') symbol: string): Promise<EtfView> {
    return etfView(await this.etfs.get(symbol));
  }

  @Get(':symbol/prices')
  @ApiOperation({
    summary:
      "The stored daily bars of a range, decimals as strings, with the exchange's trading days that have no price",
  })
  @ApiOkResponse({ type: PricesView })
  @ApiProblems(400, 404)
  prices(@Param('symbol') symbol: string, @Query() query: PricesQuery): Promise<PricesView> {
    return this.etfs.prices(symbol, query.from, query.to);
  }

  @Post(':symbol/updates')
  @Roles(ADMIN_ROLE)
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start a daily, backfill or repair update of an ETF (admins only)',
    description:
      'The job, as `GET /jobs/{id}` shows it (without the attempts): `etfId`, `updateType`, `startDate`, `endDate`, `missingDates`, `counts` and `notes` besides the tracking fields. An update of the same ETF, type and range that is still active is returned instead of a new one. The job appears in `GET /jobs` as type `etf-update`.',
  })
  @ApiAcceptedResponse({ type: AnyJobView })
  @ApiProblems(400, 403, 404)
  async startUpdate(
    @Param('symbol') symbol: string,
    @Body() body: CreateEtfUpdateDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<AnyJobView> {
    const { job } = await this.updates.start(symbol, body, principal);
    return anyJobView(ETF_UPDATE.type, job);
  }
}
