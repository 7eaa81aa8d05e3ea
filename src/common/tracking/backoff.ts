/** Retry delays: exponential from a base, capped, with jitter so retries do not stampede. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Multiplier per attempt. */
  factor: number;
  /** Fraction of random spread, e.g. 0.1 for ±10 %. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  baseMs: 5_000,
  maxMs: 600_000,
  factor: 2,
  jitter: 0.1,
};

/** Name BullMQ knows our strategy by (job option `backoff: { type }`). */
export const BACKOFF_TYPE = 'jobtrack';

/**
 * Delay before the retry that follows the `failedAttempts`-th failure (1-based):
 * base × factor^(n-1), capped at maxMs, then ±jitter, never above maxMs.
 */
export function backoffDelay(
  failedAttempts: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  const exponential = policy.baseMs * policy.factor ** (n - 1);
  const capped = Math.min(exponential, policy.maxMs);
  const spread = (random() * 2 - 1) * policy.jitter;
  return Math.max(0, Math.round(Math.min(capped * (1 + spread), policy.maxMs)));
}
