import { JobAttempt } from '../common/tracking/job-attempt.entity';
import { TrackedJob } from '../common/tracking/tracked-job.entity';
import { ExchangeRate } from '../modules/exchange-rates/exchange-rate.entity';
import { ExchangeRateBackfill } from '../modules/exchange-rates/exchange-rate-backfill.entity';
import { ExchangeRateUpdate } from '../modules/exchange-rates/exchange-rate-update.entity';
import { DailyUpdate } from '../modules/daily-updates/daily-update.entity';
import { Etf } from '../modules/etf-prices/etf.entity';
import { EtfPrice } from '../modules/etf-prices/etf-price.entity';
import { EtfUpdate } from '../modules/etf-prices/etf-update.entity';
import { ExchangeClosure } from '../modules/etf-prices/exchange-closure.entity';
import { Transaction } from '../modules/uploads/transaction.entity';
import { Upload } from '../modules/uploads/upload.entity';
import { UploadRowError } from '../modules/uploads/upload-row-error.entity';

/**
 * Every production entity, in one list shared by the app and the MikroORM CLI (so a
 * generated migration sees exactly what the app runs). Job types add theirs here.
 */
export const ENTITIES = [
  TrackedJob,
  JobAttempt,
  Upload,
  UploadRowError,
  Transaction,
  ExchangeRateUpdate,
  ExchangeRate,
  ExchangeRateBackfill,
  Etf,
  EtfPrice,
  EtfUpdate,
  ExchangeClosure,
  DailyUpdate,
];
