import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIsoDate } from '../../common/http/is-iso-date';
import { SLOT_STATES, type SlotState } from './daily-update.entity';
import type { SlotEntry } from './daily-updates.service';

/** `GET /daily-updates`. */
export class DailyUpdatesQuery {
  @ApiPropertyOptional({ format: 'date', description: 'First day (default: 7 days ago, UTC)' })
  @IsOptional()
  @IsIsoDate()
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'Last day (default: today, UTC)' })
  @IsOptional()
  @IsIsoDate()
  to?: string;

  @ApiPropertyOptional({ example: 'exchange-rates', description: 'Only this source' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  type?: string;
}

/** `POST /daily-updates/run`. */
export class RunSlotDto {
  @ApiProperty({ format: 'date', example: '2026-04-08' })
  @IsIsoDate()
  date: string;

  @ApiProperty({ example: 'exchange-rates' })
  @IsString()
  @MaxLength(100)
  type: string;
}

export class SlotChildrenView {
  @ApiProperty({ type: 'integer', minimum: 0 })
  total: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Ended with the day’s data' })
  completed: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Failed, cancelled, or ended without the day’s data',
  })
  failed: number;
}

export class SlotView {
  @ApiProperty({ format: 'date' })
  date: string;

  @ApiProperty({ example: 'exchange-rates' })
  type: string;

  @ApiProperty({ enum: SLOT_STATES })
  state: SlotState;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The slot’s job' })
  jobId: string | null;

  @ApiProperty({ type: Boolean, nullable: true, description: 'Null until the slot has run' })
  dataFound: boolean | null;

  @ApiProperty({ type: SlotChildrenView })
  children: SlotChildrenView;

  @ApiProperty({ type: String, nullable: true, example: 'closed: Good Friday' })
  notes: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the day’s work is due (null for a type no source registers)',
  })
  dueAt: Date | null;
}

export class SlotList {
  @ApiProperty({ type: [SlotView] })
  items: SlotView[];
}

export function slotView(entry: SlotEntry): SlotView {
  const row = entry.row;
  return {
    date: entry.date,
    type: entry.type,
    state: entry.state,
    jobId: row?.id ?? null,
    dataFound: row?.dataFound ?? null,
    children: {
      total: row?.childrenTotal ?? 0,
      completed: row?.childrenCompleted ?? 0,
      failed: row?.childrenFailed ?? 0,
    },
    // A slot whose job failed before it stored its notes: why the job failed.
    notes: row?.notes ?? (entry.state === 'failed' ? (row?.errorMessage ?? null) : null),
    dueAt: entry.dueAt,
  };
}
