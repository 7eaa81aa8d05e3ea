import { ApiProperty } from '@nestjs/swagger';
import { FRESHNESS_STATES, type FreshnessState, type SourceFreshness } from './freshness.service';

export class FreshnessView {
  @ApiProperty({ example: 'exchange-rates', description: 'The daily source (slot type)' })
  source: string;

  @ApiProperty({
    enum: FRESHNESS_STATES,
    description:
      '`overdue`: a slot within DAILY_CATCHUP_DAYS is past its due time plus grace and has not ended; `failing`: none is, but one ended `failed`, or the data is older than `expectedDataDate`; `fresh`: neither',
  })
  state: FreshnessState;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the last slot that ended `done` or `partial` completed (null: never)',
  })
  lastSuccessAt: Date | null;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description: 'The latest day whose slot found data (null: none yet)',
  })
  lastDataDate: string | null;

  @ApiProperty({
    type: String,
    format: 'date',
    nullable: true,
    description:
      'The latest day open on the source’s calendar whose due time plus DAILY_GRACE_MINUTES has passed: the data should have reached it (closed days never move it)',
  })
  expectedDataDate: string | null;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Slots within DAILY_CATCHUP_DAYS (today included) that are `overdue` now',
  })
  overdueSlots: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Slots within DAILY_CATCHUP_DAYS that ended `failed` (they need a re-run)',
  })
  failedSlots: number;
}

export class FreshnessList {
  @ApiProperty({ type: [FreshnessView], description: 'One item per registered source, by type' })
  items: FreshnessView[];
}

export function freshnessView(item: SourceFreshness): FreshnessView {
  return { ...item };
}
