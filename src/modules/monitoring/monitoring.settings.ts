import { Doc, MatchVar, Secret, TextVar } from '../../config/settings';

/** Bull Board and /metrics access. */
export class MonitoringSettings {
  @Doc(
    'With `BULL_BOARD_PASSWORD`: HTTP basic credentials for Bull Board (`/admin/queues`) in a browser. Admin bearer tokens are accepted either way (a valid non-admin token gets 403); anything else gets 401. Set both or neither.',
  )
  @MatchVar(/^[^:]{1,128}$/, 'must be 1-128 characters without ":"')
  BULL_BOARD_USER?: string;

  @Doc('Password of `BULL_BOARD_USER`, at least 12 characters.')
  @Secret()
  @TextVar(12)
  BULL_BOARD_PASSWORD?: string;

  @Doc(
    'When set, `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>` (at least 16 characters); unset, `/metrics` is open (keep it on the cluster network).',
  )
  @Secret()
  @TextVar(16)
  METRICS_TOKEN?: string;

  static check(env: MonitoringSettings): string[] {
    return Boolean(env.BULL_BOARD_USER) === Boolean(env.BULL_BOARD_PASSWORD)
      ? []
      : ['BULL_BOARD_USER and BULL_BOARD_PASSWORD: set both or neither'];
  }
}
