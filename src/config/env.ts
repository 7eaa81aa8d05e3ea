import { AuthSettings } from '../common/auth/auth.settings';
import { ProgressSettings } from '../common/progress/progress.settings';
import { TrackingSettings } from '../common/tracking/tracking.settings';
import { DailyUpdatesSettings } from '../modules/daily-updates/daily-updates.settings';
import { EtfPricesSettings } from '../modules/etf-prices/etf-prices.settings';
import { ExchangeRatesSettings } from '../modules/exchange-rates/exchange-rates.settings';
import { MaintenanceSettings } from '../modules/maintenance/maintenance.settings';
import { MonitoringSettings } from '../modules/monitoring/monitoring.settings';
import { UploadSettings } from '../modules/uploads/uploads.settings';
import { CoreSettings } from './core.settings';
import { Composed, validateSettings } from './settings';

export { DEV_JWT_SECRET } from '../common/auth/auth.settings';
export { APP_ROLES, type AppRole } from './core.settings';
export { ConfigValidationError } from './settings';

/**
 * Every feature's settings (each declared beside its feature, see ./settings.ts), validated
 * together at start-up. docs/configuration.md documents each variable; a test keeps the two
 * in step.
 */
export const SETTINGS = [
  CoreSettings,
  AuthSettings,
  MonitoringSettings,
  UploadSettings,
  MaintenanceSettings,
  TrackingSettings,
  ProgressSettings,
  ExchangeRatesSettings,
  EtfPricesSettings,
  DailyUpdatesSettings,
] as const;

/** Every environment variable the service reads, typed (`AppConfig.env`). */
export type EnvironmentVariables = Composed<typeof SETTINGS>;

/** Validates the environment; the error lists every bad variable at once. */
export function validateEnv(raw: Record<string, unknown>): EnvironmentVariables {
  return validateSettings(SETTINGS, raw);
}
