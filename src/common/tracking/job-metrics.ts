import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from '../util/with-timeout';
import { JobStatus } from './job-status';
import { JobTypeRegistry } from './job-type.registry';
import { TrackingStore } from './tracking-store';

/** Bound on each scrape-time read. */
const COLLECT_TIMEOUT_MS = 2_000;
const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
] as const;

/** A counter of job events by type. */
function byType(registry: Registry, name: string, help: string): Counter<'type'> {
  return new Counter({ name, help, labelNames: ['type'] as const, registers: [registry] });
}

/**
 * The process's Prometheus metrics (one registry per app, so several apps can share a
 * test process). Counters are per process: Prometheus sums them over the replicas.
 */
@Injectable()
export class JobMetrics {
  readonly registry = new Registry();

  readonly created = byType(
    this.registry,
    'jobtrack_jobs_created_total',
    'Jobs created (tracking row inserted), by type.',
  );
  readonly completed = byType(
    this.registry,
    'jobtrack_jobs_completed_total',
    'Jobs that ended COMPLETED, by type.',
  );
  readonly failed = byType(
    this.registry,
    'jobtrack_jobs_failed_total',
    'Jobs that ended FAILED, by type.',
  );
  readonly cancelled = byType(
    this.registry,
    'jobtrack_jobs_cancelled_total',
    'Jobs cancelled, by type.',
  );

  readonly attemptDuration = new Histogram({
    name: 'jobtrack_job_attempt_duration_seconds',
    help: 'Duration of job attempts, by type and outcome (completed, retrying, failed, cancelled, handed_back, lost).',
    labelNames: ['type', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly orphanRescues = new Counter({
    name: 'jobtrack_orphan_rescues_total',
    help: 'Rows whose queue job was gone or ended, by type and action (requeued, failed).',
    labelNames: ['type', 'action'] as const,
    registers: [this.registry],
  });

  readonly rowsImported = new Counter({
    name: 'jobtrack_rows_imported_total',
    help: 'Rows written by imports, by dataset and outcome (inserted, updated, unchanged, invalid).',
    labelNames: ['dataset', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(types: JobTypeRegistry, store: TrackingStore) {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which Prometheus reserves for counters;
    // the per-type gauges (nodejs_active_handles, ...) carry the same figures.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(name);
    }
    // Gauges read at scrape time are bounded and isolated: a slow or failing Redis or
    // PostgreSQL drops their series (and counts the failure), never the whole scrape.
    const collectErrors = new Counter({
      name: 'jobtrack_metrics_collect_errors_total',
      help: 'Scrape-time reads (queue depth from Redis, outbox backlog from PostgreSQL) that failed or timed out; shown from the next scrape.',
      labelNames: ['source'] as const,
      registers: [this.registry],
    });
    const bounded = <V>(source: string, read: () => Promise<V>): Promise<V | undefined> =>
      withTimeout(read(), COLLECT_TIMEOUT_MS, () => {
        throw new Error('timed out');
      }).catch(() => {
        collectErrors.inc({ source });
        return undefined;
      });
    new Gauge({
      name: 'jobtrack_queue_jobs',
      help: 'Jobs in each BullMQ queue, by state (read from Redis at scrape time; the same on every replica: use max()).',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        const all = await Promise.all(
          types.all().map(async ({ definition, queue }) => ({
            queue: definition.queue,
            counts: await bounded('redis', () => queue.getJobCounts(...QUEUE_STATES)),
          })),
        );
        this.reset();
        for (const { queue, counts } of all) {
          if (counts)
            for (const state of QUEUE_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'jobtrack_outbox_pending_jobs',
      help: 'Rows saved but not yet handed to the queue (PENDING), by type; grows while Redis is down. The same on every replica: use max().',
      labelNames: ['type'] as const,
      registers: [this.registry],
      async collect() {
        const all = await Promise.all(
          types.all().map(async ({ definition }) => ({
            type: definition.type,
            rows: await bounded('postgresql', () =>
              store
                .em()
                .execute<{ n: number }[]>(
                  `SELECT count(*)::int AS n FROM ${store.table(definition.entity)} WHERE status = ?`,
                  [JobStatus.PENDING],
                ),
            ),
          })),
        );
        this.reset();
        for (const { type, rows } of all) if (rows) this.set({ type }, rows[0].n);
      },
    });
  }
}
