import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './private-redis';
import { waitFor } from './wait-for';

const run = promisify(execFile);
const BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The OS user that owns the cluster: initdb and postgres refuse to run as root. */
const PG_OS_USER = 'postgres';

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, trust auth, fsync off), so
 * a test can stop and restart "the database" without touching the shared one.
 */
export class PrivatePostgres {
  private running = false;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Creates a fresh cluster on a free port and starts it. */
  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'jobtrack-pg-'));
    const pg = new PrivatePostgres(await freePort(), dir);
    if (asRoot()) {
      const uid = Number(execFileSync('id', ['-u', PG_OS_USER]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', PG_OS_USER]).toString().trim());
      chownSync(dir, uid, gid);
    }
    await pg.exec('initdb', [
      '-D',
      pg.dataDir,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    PrivatePostgres.live.add(pg);
    await pg.start();
    return pg;
  }

  private static readonly live = new Set<PrivatePostgres>();

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** URL of database `name` (default: `postgres`) on this server. */
  url(name = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${name}`;
  }

  /** Starts the server and waits until it accepts queries. */
  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    await this.exec('pg_ctl', [
      'start',
      '-D',
      this.dataDir,
      '-w',
      '-t',
      '60',
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      options,
    ]);
    this.running = true;
    await waitFor(
      async () => {
        const client = new Client({ connectionString: this.url(), connectionTimeoutMillis: 1000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { what: 'private postgres to answer' },
    );
  }

  /**
   * Stops the server. `fast`: every session is terminated ("terminating connection due to
   * administrator command") and the server shuts down cleanly; `immediate`: it quits
   * without a shutdown checkpoint (crash recovery on the next start).
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running) return;
    await this.exec('pg_ctl', ['stop', '-D', this.dataDir, '-w', '-t', '60', '-m', mode]);
    this.running = false;
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** Stops the server for good and removes its files. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    PrivatePostgres.live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Last lines of the server log, for failure messages. */
  log(): string {
    try {
      return execFileSync('tail', ['-n', '30', join(this.dir, 'server.log')]).toString();
    } catch {
      return '';
    }
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const bin = join(BIN, tool);
    const [file, argv] = asRoot()
      ? ['runuser', ['-u', PG_OS_USER, '--', bin, ...args]]
      : [bin, args];
    try {
      await run(file, argv, { cwd: this.dir, timeout: 90_000 });
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      throw new Error(`${tool} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`, {
        cause: err,
      });
    }
  }

  /** A test process that dies without its afterAll still takes its servers down. */
  static {
    process.once('exit', () => {
      for (const pg of PrivatePostgres.live) {
        try {
          const bin = join(BIN, 'pg_ctl');
          const args = ['stop', '-D', pg.dataDir, '-m', 'immediate'];
          if (asRoot()) execFileSync('runuser', ['-u', PG_OS_USER, '--', bin, ...args]);
          else execFileSync(bin, args);
        } catch {
          // already stopped
        }
        rmSync(pg.dir, { recursive: true, force: true });
      }
    });
  }
}

function asRoot(): boolean {
  return userInfo().uid === 0;
}
