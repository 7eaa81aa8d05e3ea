import { Doc, IntVar, MatchVar } from '../../config/settings';

/** The daily-update calendar: when it looks for due slots, how far back, when one is late. */
export class DailyUpdatesSettings {
  @Doc(
    'When the calendar creates and starts the slots that are due (cron, UTC; 5 or 6 fields), in processes with `MAINTENANCE_ENABLED=true`; each process also looks once at start-up. Safe on every replica at once. `off`: never.',
  )
  @MatchVar(/^(off|\S+( \S+){4,5})$/, 'must be a cron expression (5 or 6 fields) or off')
  DAILY_CRON: string = '*/5 * * * *';

  @Doc(
    'How many days back the calendar creates and runs the slots it missed (an outage), oldest first.',
  )
  @IntVar(0)
  DAILY_CATCHUP_DAYS: number = 7;

  @Doc(
    'Minutes after its due time before a slot that has not ended is `overdue` (and counted in the freshness metrics).',
  )
  @IntVar(0)
  DAILY_GRACE_MINUTES: number = 120;
}
