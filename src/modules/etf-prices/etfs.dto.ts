import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { EXCHANGE_MICS } from '../../common/calendar/exchange-calendar';
import { IsIsoDate } from '../../common/http/is-iso-date';
import { SYMBOL_PATTERN } from './etf-prices.constants';
import type { Etf } from './etf.entity';
import { isinProblem } from './isin';
import { isCurrency } from './quote-units';

const IsIsin = () =>
  ValidateBy({
    name: 'isIsin',
    validator: {
      validate: (value) => typeof value === 'string' && isinProblem(value) === null,
      defaultMessage: (args) =>
        `isin ${typeof args?.value === 'string' ? isinProblem(args.value) : 'must be a string'}`,
    },
  });

const IsCurrency = () =>
  ValidateBy({
    name: 'isCurrency',
    validator: {
      validate: (value) => typeof value === 'string' && isCurrency(value),
      defaultMessage: () => 'currency must be an ISO 4217 code in use, upper case (e.g. USD)',
    },
  });

/**
 * Optional in a PATCH: an absent field is left as it is, but `null` is checked like any value
 * (and refused). class-validator's IsOptional would let null through to the service.
 */
const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

const Trimmed = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** `POST /etfs`: every field but `active` is required. */
export class CreateEtfDto {
  @ApiProperty({ example: 'VWCE.DE', pattern: SYMBOL_PATTERN.source })
  @IsString()
  @Matches(SYMBOL_PATTERN, {
    message: 'symbol must be upper-case letters and digits, with . or - inside (e.g. VWCE.DE)',
  })
  symbol: string;

  @ApiProperty({ example: 'IE00BK5BQT80', description: 'ISO 6166, check digit included' })
  @IsIsin()
  isin: string;

  @ApiProperty({ example: 'Vanguard FTSE All-World UCITS ETF (USD) Accumulating' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Trimmed()
  name: string;

  @ApiProperty({ example: 'EUR', description: 'ISO 4217 trading currency' })
  @IsCurrency()
  currency: string;

  @ApiProperty({
    example: 'EUR',
    description:
      'The unit prices are quoted in: the currency, or its minor unit (GBX or GBp: pence; ZAC; ILA)',
  })
  @IsString()
  @MaxLength(3)
  quoteUnit: string;

  @ApiProperty({
    enum: EXCHANGE_MICS,
    example: 'XETR',
    description: 'ISO 10383 MIC of the listing',
  })
  @IsIn(EXCHANGE_MICS)
  exchange: string;

  @ApiPropertyOptional({
    default: true,
    description: 'Inactive ETFs keep their prices; no daily updates',
  })
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

/** The fields an ETF may change (`PATCH /etfs/{symbol}`); the symbol is its id. */
export class UpdateEtfDto {
  @ApiPropertyOptional({ example: 'IE00BK5BQT80', description: 'ISO 6166, check digit included' })
  @IfPresent()
  @IsIsin()
  isin?: string;

  @ApiPropertyOptional({ example: 'Vanguard FTSE All-World UCITS ETF (USD) Accumulating' })
  @IfPresent()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  @Trimmed()
  name?: string;

  @ApiPropertyOptional({ example: 'EUR', description: 'ISO 4217 trading currency' })
  @IfPresent()
  @IsCurrency()
  currency?: string;

  @ApiPropertyOptional({
    example: 'EUR',
    description:
      'The unit prices are quoted in: the currency, or its minor unit (GBX or GBp: pence; ZAC; ILA)',
  })
  @IfPresent()
  @IsString()
  @MaxLength(3)
  quoteUnit?: string;

  @ApiPropertyOptional({ enum: EXCHANGE_MICS, description: 'ISO 10383 MIC of the listing' })
  @IfPresent()
  @IsIn(EXCHANGE_MICS)
  exchange?: string;

  @ApiPropertyOptional({ description: 'Inactive ETFs keep their prices; no daily updates' })
  @IfPresent()
  @IsBoolean()
  active?: boolean;
}

export class EtfView {
  @ApiProperty({ example: 'VWCE.DE' })
  symbol: string;

  @ApiProperty({ example: 'IE00BK5BQT80' })
  isin: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ example: 'EUR' })
  currency: string;

  @ApiProperty({ example: 'EUR' })
  quoteUnit: string;

  @ApiProperty({ example: 'XETR' })
  exchange: string;

  @ApiProperty()
  active: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt: Date;
}

export class EtfList {
  @ApiProperty({ type: [EtfView] })
  items: EtfView[];
}

export function etfView(etf: Etf): EtfView {
  return {
    symbol: etf.symbol,
    isin: etf.isin,
    name: etf.name,
    currency: etf.currency,
    quoteUnit: etf.quoteUnit,
    exchange: etf.exchange,
    active: etf.active,
    createdAt: etf.createdAt,
    updatedAt: etf.updatedAt,
  };
}

/** `GET /etfs/{symbol}/prices`. */
export class PricesQuery {
  @ApiProperty({ format: 'date', example: '2024-01-02' })
  @IsIsoDate()
  from: string;

  @ApiProperty({ format: 'date', example: '2024-01-31' })
  @IsIsoDate()
  to: string;
}

export class PriceBarView {
  @ApiProperty({ format: 'date' })
  date: string;

  @ApiProperty({ example: '72.22', description: 'Decimal string, in the quote unit' })
  open: string;

  @ApiProperty({ example: '72.5' })
  high: string;

  @ApiProperty({ example: '71.85' })
  low: string;

  @ApiProperty({ example: '71.85' })
  close: string;

  @ApiProperty({ type: String, nullable: true, example: '70.1' })
  adjClose: string | null;

  @ApiProperty({ type: String, nullable: true, example: '351', description: 'Integer string' })
  volume: string | null;

  @ApiProperty({
    type: [String],
    nullable: true,
    example: [],
    description:
      'Quality rules the bar broke (zero_price, outside_range, flat_zero_volume, jump_100x, closed_day); [] clean; null not checked (uploaded)',
  })
  flags: string[] | null;
}

export class PricesView {
  @ApiProperty({ type: [PriceBarView] })
  items: PriceBarView[];

  @ApiProperty({
    type: [String],
    format: 'date',
    description: "Trading days of the ETF's exchange in the range without a price",
  })
  missingDates: string[];
}
