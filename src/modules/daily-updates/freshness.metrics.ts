import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { dayNumber, type IsoDate } from '../../common/calendar/iso-date';
import { JobMetrics } from '../../common/tracking/job-metrics';
import { withTimeout } from '../../common/util/with-timeout';
import { FreshnessService, type SourceFreshness } from './freshness.service';

/** Bound on the scrape-time read (the same as the queue-depth and outbox gauges'). */
const COLLECT_TIMEOUT_MS = 2_000;

/** A day as Unix time: its midnight UTC, in seconds. */
export const dateSeconds = (date: IsoDate): number => dayNumber(date) * 86_400;

/**
 * The freshness of each daily source as Prometheus gauges on the app's registry, read at
 * scrape time from PostgreSQL (FreshnessService): the same on every replica, so use max().
 * One read per scrape feeds every gauge; it is bounded like the other scrape-time reads: a
 * slow or failing database drops these series from that scrape (counted in
 * jobtrack_metrics_collect_errors_total{source="postgresql"}), never the whole scrape.
 *
 * Times and dates are Unix seconds (a date: its midnight UTC); "never" is 0, so that
 * `time() - …` and `expected - …` rules fire for a source that never succeeded rather than
 * staying silent for want of a series.
 */
@Injectable()
export class FreshnessMetrics {
  constructor(metrics: JobMetrics, freshness: FreshnessService) {
    const registry = metrics.registry;
    const collectErrors = registry.getSingleMetric('jobtrack_metrics_collect_errors_total') as
      Counter<'source'> | undefined;
    // prom-client calls every collect() of a scrape at once: they share one read.
    let reading: Promise<SourceFreshness[] | undefined> | null = null;
    const read = (): Promise<SourceFreshness[] | undefined> =>
      (reading ??= withTimeout(freshness.all(), COLLECT_TIMEOUT_MS, () => {
        throw new Error('timed out');
      })
        .catch(() => {
          collectErrors?.inc({ source: 'postgresql' });
          return undefined;
        })
        .finally(() => {
          reading = null;
        }));
    const gauge = (name: string, help: string, value: (item: SourceFreshness) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['source'] as const,
        registers: [registry],
        async collect() {
          const items = await read();
          this.reset();
          for (const item of items ?? []) {
            const v = value(item);
            if (v !== null) this.set({ source: item.source }, v);
          }
        },
      });

    gauge(
      'jobtrack_daily_last_success_timestamp_seconds',
      'When the last slot of each daily source that ended done or partial completed (Unix time; 0: never). The same on every replica: use max().',
      (i) => (i.lastSuccessAt ? i.lastSuccessAt.getTime() / 1000 : 0),
    );
    gauge(
      'jobtrack_daily_last_data_date_timestamp_seconds',
      'The latest day whose slot found data, per daily source (Unix time of its midnight UTC; 0: none yet).',
      (i) => (i.lastDataDate ? dateSeconds(i.lastDataDate) : 0),
    );
    gauge(
      'jobtrack_daily_expected_data_date_timestamp_seconds',
      'The latest day open on the source calendar whose due time plus grace has passed, per daily source (Unix time of its midnight UTC): closed days never move it. Alert on expected minus last data date above 0.',
      (i) => (i.expectedDataDate ? dateSeconds(i.expectedDataDate) : null),
    );
    gauge(
      'jobtrack_daily_overdue_slots',
      'Slots within DAILY_CATCHUP_DAYS past their due time plus grace and not ended, per daily source.',
      (i) => i.overdueSlots,
    );
    gauge(
      'jobtrack_daily_failed_slots',
      'Slots within DAILY_CATCHUP_DAYS that ended failed (a re-run is needed), per daily source.',
      (i) => i.failedSlots,
    );
  }
}
