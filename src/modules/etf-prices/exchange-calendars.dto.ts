import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsIsoDate } from '../../common/http/is-iso-date';
import type { ExchangeClosure } from './exchange-closure.entity';

export class CalendarDaysQuery {
  @ApiProperty({ format: 'date', example: '2025-01-01' })
  @IsIsoDate()
  from: string;

  @ApiProperty({ format: 'date', example: '2025-01-31' })
  @IsIsoDate()
  to: string;
}

export class CalendarDayView {
  @ApiProperty({ format: 'date' })
  date: string;

  @ApiProperty()
  open: boolean;

  @ApiProperty({
    required: false,
    enum: ['weekend', 'holiday', 'closure', 'operator_closure'],
    description: 'Why a closed day is closed',
  })
  reason?: string;

  @ApiProperty({ required: false, example: 'Thanksgiving Day' })
  name?: string;

  @ApiProperty({ required: false, example: '13:00', description: 'Local close of an open day' })
  close?: string;

  @ApiProperty({ required: false })
  earlyClose?: boolean;
}

export class CalendarDaysView {
  @ApiProperty({ example: 'XNYS' })
  mic: string;

  @ApiProperty({ example: 'New York Stock Exchange' })
  name: string;

  @ApiProperty({ example: 'America/New_York' })
  timeZone: string;

  @ApiProperty({ example: '16:00' })
  regularClose: string;

  @ApiProperty({ type: [CalendarDayView] })
  days: CalendarDayView[];
}

export class CreateClosureDto {
  @ApiProperty({ format: 'date', example: '2027-01-15' })
  @IsIsoDate()
  date: string;

  @ApiProperty({ example: 'National Day of Mourning' })
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class ClosureParams {
  @ApiProperty({ example: 'XNYS' })
  @IsString()
  mic: string;

  @ApiProperty({ format: 'date' })
  @IsIsoDate()
  date: string;
}

export class ClosureView {
  @ApiProperty({ example: 'XNYS' })
  mic: string;

  @ApiProperty({ format: 'date' })
  date: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ type: String, nullable: true })
  createdBy: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: Date;
}

export class ClosureList {
  @ApiProperty({ type: [ClosureView] })
  items: ClosureView[];
}

export function closureView(c: ExchangeClosure): ClosureView {
  return {
    mic: c.mic,
    date: c.closureDate,
    name: c.name,
    createdBy: c.createdBy,
    createdAt: c.createdAt,
  };
}
