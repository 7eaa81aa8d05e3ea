import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsIsoDate } from '../../common/http/is-iso-date';
import { ETF_UPDATE_TYPES, type EtfUpdateType } from './etf-update.entity';

/** `POST /etfs/{symbol}/updates`. */
export class CreateEtfUpdateDto {
  @ApiProperty({
    enum: ETF_UPDATE_TYPES,
    description:
      '`daily`: the last completed session (or from..to); `backfill`: every bar of from..to; `repair`: only the missing and flagged days of from..to',
  })
  @IsIn(ETF_UPDATE_TYPES)
  type: EtfUpdateType;

  @ApiPropertyOptional({
    format: 'date',
    example: '2024-01-02',
    description: 'First day (required but for daily)',
  })
  @IsOptional()
  @IsIsoDate()
  from?: string;

  @ApiPropertyOptional({
    format: 'date',
    example: '2024-01-31',
    description: 'Last day (required but for daily); not after today on the exchange',
  })
  @IsOptional()
  @IsIsoDate()
  to?: string;
}
