import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JobStatus } from './job-status';
import { JobTypeRegistry } from './job-type.registry';
import { TrackingStore } from './tracking-store';

const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'failed',
  'prioritized',
  'waiting-children',
] as const;

/**
 * The process's Prometheus metrics (one registry per app, so several apps can share a
 * test process). Counters are per process: Prometheus sums them over the replicas.
 */
@Injectable()
export class JobMetrics {
  readonly registry = new Registry();

  readonly created = new Counter({
    name: 'jobtrack_jobs_created_total',
    help: 'Jobs created (tracking row inserted), by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly completed = new Counter({
    name: 'jobtrack_jobs_completed_total',
    help: 'Jobs that ended COMPLETED, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly failed = new Counter({
    name: 'jobtrack_jobs_failed_total',
    help: 'Jobs that ended FAILED, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly cancelled = new Counter({
    name: 'jobtrack_jobs_cancelled_total',
    help: 'Jobs cancelled, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'jobtrack_job_attempt_duration_seconds',
    help: 'Duration of job attempts, by type and outcome (completed, retrying, failed, cancelled, handed_back).',
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
    new Gauge({
      name: 'jobtrack_queue_jobs',
      help: 'Jobs in each BullMQ queue, by state (read from Redis at scrape time).',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { definition, queue } of types.all()) {
          const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
          for (const state of QUEUE_STATES) {
            if (counts) this.set({ queue: definition.queue, state }, counts[state] ?? 0);
          }
        }
      },
    });
    new Gauge({
      name: 'jobtrack_outbox_pending_jobs',
      help: 'Rows saved but not yet handed to the queue (PENDING), by type; grows while Redis is down.',
      labelNames: ['type'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { definition } of types.all()) {
          const [{ n }] = await store
            .em()
            .execute<{ n: number }[]>(
              `SELECT count(*)::int AS n FROM ${store.table(definition.entity)} WHERE status = ?`,
              [JobStatus.PENDING],
            );
          this.set({ type: definition.type }, n);
        }
      },
    });
  }
}
