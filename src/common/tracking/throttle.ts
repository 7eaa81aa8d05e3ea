/**
 * Runs `write` at most once per `intervalMs`: the first call at once, later calls
 * coalesced into one trailing write with the latest value. `flush` writes what is
 * pending now (used before a job finishes, so the last progress is never lost).
 */
export class Throttle<V> {
  private lastWrite = Number.NEGATIVE_INFINITY;
  private pending: { value: V } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly write: (value: V) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {}

  push(value: V): Promise<void> {
    this.pending = { value };
    const wait = this.lastWrite + this.intervalMs - this.now();
    if (wait <= 0) return this.flush();
    this.timer ??= setTimeout(() => void this.flush(), wait);
    return this.inflight;
  }

  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return this.inflight;
    this.lastWrite = this.now();
    // A failed write must not block later ones; the writer logs its own errors.
    this.inflight = this.inflight.then(() => this.write(pending.value)).catch(() => undefined);
    return this.inflight;
  }

  /** Drops anything pending (the job ended another way). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
