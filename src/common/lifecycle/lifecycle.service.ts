import { Injectable } from '@nestjs/common';

/** Process state the probes report: started once bootstrap is done, draining after SIGTERM. */
@Injectable()
export class LifecycleService {
  private started = false;
  private draining = false;

  markStarted(): void {
    this.started = true;
  }

  beginShutdown(): void {
    this.draining = true;
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isShuttingDown(): boolean {
    return this.draining;
  }
}
