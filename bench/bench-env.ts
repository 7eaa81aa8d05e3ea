import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { cleanupEnv, isolatedEnv } from '../test/utils/test-env';

/** A private database and Redis prefix for one benchmark run, logs off. */
export function benchEnv(overrides: Record<string, string> = {}) {
  return isolatedEnv({
    LOG_LEVEL: 'silent',
    MAINTENANCE_ENABLED: 'false',
    PROGRESS_WRITE_INTERVAL_MS: '1000',
    ...overrides,
  });
}

export { cleanupEnv };

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Peak resident set of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Runs a benchmark's main and exits (open handles of the apps it started must not keep it alive). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
