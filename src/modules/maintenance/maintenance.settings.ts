import { Doc, EnumVar, IntVar } from '../../config/settings';

/** The maintenance crons: outbox dispatcher, orphan rescue, retention. */
export class MaintenanceSettings {
  @Doc(
    'Run the outbox dispatcher, orphan rescue and retention in this process. Safe on every replica at once.',
  )
  @EnumVar(['true', 'false'])
  MAINTENANCE_ENABLED: string = 'true';

  @Doc('How often PENDING rows (created while Redis was down) are handed to the queue.')
  @IntVar(100)
  OUTBOX_INTERVAL_MS: number = 10_000;

  @Doc(
    'How often rows whose queue job vanished or ended behind their back are re-enqueued or failed.',
  )
  @IntVar(100)
  ORPHAN_RESCUE_INTERVAL_MS: number = 60_000;

  @Doc(
    'A QUEUED/PROCESSING/RETRYING row is looked at by orphan rescue only when not updated for this long.',
  )
  @IntVar(0)
  MAINTENANCE_GRACE_MS: number = 30_000;

  @Doc(
    'Terminal jobs (COMPLETED, FAILED, CANCELLED) older than this are deleted with their attempts and files. Non-terminal jobs are never deleted, nor is history imported from the old system (rows with a legacy_ref).',
  )
  @IntVar(1)
  RETENTION_DAYS: number = 90;

  @Doc('How often retention runs.')
  @IntVar(1000)
  RETENTION_INTERVAL_MS: number = 3_600_000;
}
