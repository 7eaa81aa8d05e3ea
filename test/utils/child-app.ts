import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './private-redis';
import { Env } from './test-env';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

/** The V8 flags `npm start` runs the service with (SERVICE_NODE_FLAGS in scripts/run.sh). */
export function serviceNodeFlags(): string[] {
  const script = readFileSync(join(ROOT, 'scripts', 'run.sh'), 'utf8');
  const flags = /^SERVICE_NODE_FLAGS="([^"]*)"$/m.exec(script)?.[1];
  if (flags === undefined) throw new Error('scripts/run.sh sets no SERVICE_NODE_FLAGS');
  return flags.split(/\s+/).filter(Boolean);
}

/** The app (with the test job type) running as its own OS process, as in production. */
export class ChildApp {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const keep = (chunk: Buffer) => this.output.push(chunk.toString());
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
  }

  /**
   * `entry` runs another script instead, e.g. the built `dist/src/main.js` (the production
   * entry point, without the test job type or the TypeScript loader) for benchmarks, with
   * the V8 flags `npm start` gives it.
   */
  static async start(env: Env, jobOptions: object = {}, entry?: string): Promise<ChildApp> {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      entry
        ? [...serviceNodeFlags(), join(ROOT, entry)]
        : ['-r', '@swc-node/register', join(ROOT, 'test/support/test-app.main.ts')],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          ...env,
          PORT: String(port),
          LOG_LEVEL: 'info', // captured, never printed: tests read it through logs()
          TEST_JOB_OPTIONS: JSON.stringify(jobOptions),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const child = new ChildApp(proc, `http://127.0.0.1:${port}`);
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(`child exited: ${child.output.join('').slice(-2000)}`);
        const res = await fetch(`${child.url}/health/startup`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 60_000, what: 'the child app to start' },
    );
    return child;
  }

  /** Structured log lines the child printed. */
  logs(): Record<string, unknown>[] {
    return this.output
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
}
