import { Doc, IntVar } from '../../config/settings';

/** Live progress to Socket.IO clients (ProgressGateway). */
export class ProgressSettings {
  @Doc(
    'Live progress: at most one `job.progress` event per job per this interval to Socket.IO clients; bursts are coalesced to the latest value, and terminal events are never delayed.',
  )
  @IntVar(0)
  PROGRESS_EMIT_INTERVAL_MS: number = 100;
}
