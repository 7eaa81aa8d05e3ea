/**
 * Parameters and answers of the read API: `GET /exchange-rates` and `/exchange-rates/convert`.
 * Every rate and amount is a decimal string.
 */
import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsOptional,
  IsString,
  Matches,
  registerDecorator,
  type ValidationOptions,
} from 'class-validator';
import { QueryList } from '../../common/http/query';
import {
  AMOUNT_MAX_LENGTH,
  AMOUNT_PATTERN,
  type ConversionAnswer,
  type Fallback,
  type FallbackReason,
  type LegView,
  type RatesAnswer,
  type Unavailable,
  UNAVAILABLE_REASONS,
  type UnavailableReason,
} from './rates-answer';
import { isIsoDate } from './target-calendar';

const CODE = /^[A-Z]{3}$/;
const CODE_MESSAGE = '$property must be a currency code: three capital letters, e.g. USD';
const DECIMAL = '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const DATE_DESCRIPTION =
  'A calendar date YYYY-MM-DD, not after today in Europe/Berlin (the ECB’s day); default: today there';

/** A property holding an object of `model` or null (OpenAPI 3.0: nullable beside allOf). */
function nullableRef(model: new () => unknown, description: string) {
  return { nullable: true, allOf: [{ $ref: getSchemaPath(model) }], description };
}

/** The property is a real calendar date 'YYYY-MM-DD' (e.g. not 2023-02-29). */
function IsCalendarDate(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: property,
      options: { message: '$property must be a calendar date YYYY-MM-DD', ...options },
      validator: { validate: (value: unknown) => isIsoDate(value) },
    });
}

/** `GET /exchange-rates`. */
export class ExchangeRatesQueryDto {
  @ApiProperty({
    required: false,
    type: String,
    format: 'date',
    description: DATE_DESCRIPTION,
    example: '2023-02-21',
  })
  @IsOptional()
  @IsCalendarDate()
  date?: string;

  @ApiProperty({
    required: false,
    default: 'EUR',
    pattern: CODE.source,
    description: 'Rates are units of each currency for one unit of this one',
  })
  @IsOptional()
  @Matches(CODE, { message: CODE_MESSAGE })
  base: string = 'EUR';

  @ApiProperty({
    required: false,
    type: [String],
    description:
      'The quote currencies, comma-separated or repeated (at most 64); default: every currency of the day',
    example: 'USD,GBP',
  })
  @IsOptional()
  @QueryList()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @Matches(CODE, { each: true, message: CODE_MESSAGE })
  symbols?: string[];
}

/** `GET /exchange-rates/convert`. */
export class ConvertQueryDto {
  @ApiProperty({ pattern: CODE.source, example: 'USD' })
  @Matches(CODE, { message: CODE_MESSAGE })
  from: string;

  @ApiProperty({ pattern: CODE.source, example: 'GBP' })
  @Matches(CODE, { message: CODE_MESSAGE })
  to: string;

  @ApiProperty({
    pattern: AMOUNT_PATTERN.source,
    maxLength: AMOUNT_MAX_LENGTH,
    description: `A plain decimal: digits, an optional point and fraction, an optional minus; no exponent, sign +, grouping or leading zeros; at most ${AMOUNT_MAX_LENGTH} characters`,
    example: '100',
  })
  @IsString()
  @Matches(AMOUNT_PATTERN, {
    message: '$property must be a plain decimal such as 100 or -2.50 (no exponent or grouping)',
  })
  @Matches(new RegExp(`^.{1,${AMOUNT_MAX_LENGTH}}$`, 's'), {
    message: `$property must be at most ${AMOUNT_MAX_LENGTH} characters long`,
  })
  amount: string;

  @ApiProperty({
    required: false,
    type: String,
    format: 'date',
    description: DATE_DESCRIPTION,
    example: '2023-02-21',
  })
  @IsOptional()
  @IsCalendarDate()
  date?: string;
}

const FALLBACK_REASONS: FallbackReason[] = ['weekend', 'target_holiday', 'not_yet_published'];

/** Why the answer comes from an earlier publication than the requested date. */
export class FallbackView implements Fallback {
  @ApiProperty({
    enum: FALLBACK_REASONS,
    enumName: 'RateFallbackReason',
    description:
      'weekend or target_holiday (a TARGET closing day: the ECB publishes nothing); not_yet_published: an open TARGET day (or an earlier one) with no rates stored yet (before about 16:00 Berlin, or not fetched)',
  })
  reason: FallbackReason;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The closing day: Saturday, Sunday or the holiday’s name; null otherwise',
    example: 'Good Friday',
  })
  name: string | null;
}

/** A currency asked for (or, without `symbols`, one the ECB stopped publishing) without a rate. */
export class UnavailableView implements Unavailable {
  @ApiProperty({ example: 'HRK' })
  currency: string;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'The last day the ECB published it; null when never or unknown',
    example: '2022-12-30',
  })
  lastDate: string | null;

  @ApiProperty({
    enum: UNAVAILABLE_REASONS,
    enumName: 'RateUnavailableReason',
    description:
      'euro_adopted, redenominated, suspended (no longer published, since lastDate); gap (not published for a while: ISK 2008-12-10..2018-01-31); not_yet_introduced; not_published (expected, but the effective day stored none)',
  })
  reason: UnavailableReason;
}

/** `GET /exchange-rates`. */
@ApiExtraModels(FallbackView)
export class ExchangeRatesView implements RatesAnswer {
  @ApiProperty({ type: String, format: 'date', example: '2023-02-25' })
  requestedDate: string;

  @ApiProperty({
    type: String,
    format: 'date',
    description: 'The publication the rates come from: the requested date, or the last before it',
    example: '2023-02-24',
  })
  effectiveDate: string;

  @ApiProperty({ example: 'EUR' })
  base: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', pattern: DECIMAL },
    description:
      'Units of each currency for one base: the published string for base EUR, else the cross rate from the two euro legs (16 significant digits, half to even)',
    example: { USD: '1.0664', GBP: '0.87925' },
  })
  rates: Record<string, string>;

  @ApiProperty(nullableRef(FallbackView, 'null when the requested date has rates stored'))
  fallback: FallbackView | null;

  @ApiProperty({ type: [UnavailableView] })
  unavailable: UnavailableView[];
}

/** One published euro leg. */
export class RateLegView implements LegView {
  @ApiProperty({ example: 'USD' })
  currency: string;

  @ApiProperty({
    pattern: DECIMAL,
    description: 'Units of `currency` for one euro, as published',
    example: '1.0664',
  })
  rate: string;
}

@ApiExtraModels(RateLegView)
export class RateLegsView {
  @ApiProperty(nullableRef(RateLegView, 'null when `from` is EUR'))
  from: RateLegView | null;

  @ApiProperty(nullableRef(RateLegView, 'null when `to` is EUR'))
  to: RateLegView | null;
}

/** `GET /exchange-rates/convert`. */
@ApiExtraModels(FallbackView)
export class ConversionView implements ConversionAnswer {
  @ApiProperty({ pattern: DECIMAL, example: '100' })
  amount: string;

  @ApiProperty({ example: 'USD' })
  from: string;

  @ApiProperty({ example: 'GBP' })
  to: string;

  @ApiProperty({
    pattern: DECIMAL,
    description:
      'Units of `to` for one `from`: legs.to / legs.from, 16 significant digits, half to even',
    example: '0.8245030007501875',
  })
  rate: string;

  @ApiProperty({
    pattern: DECIMAL,
    description: 'amount × rate, exact, rounded once to 16 significant digits (half to even)',
    example: '82.45030007501875',
  })
  result: string;

  @ApiProperty({ type: String, format: 'date', example: '2023-02-21' })
  requestedDate: string;

  @ApiProperty({ type: String, format: 'date', example: '2023-02-21' })
  effectiveDate: string;

  @ApiProperty(nullableRef(FallbackView, 'null when the requested date has rates stored'))
  fallback: FallbackView | null;

  @ApiProperty({ type: RateLegsView })
  legs: RateLegsView;
}
