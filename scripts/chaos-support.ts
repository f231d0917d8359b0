/**
 * What the chaos suite runs the app on: a Postgres cluster and a Redis of its own (the machine's
 * are shared and never touched), the fake Graph API in a process of its own, and a supervisor
 * that starts again whatever process exits, as systemd, Kubernetes or Compose would.
 */
import { type ChildProcess, execFile, fork } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AppProcess } from '../test/support/app-process';
import { freePort } from '../test/support/free-port';

const run = promisify(execFile);
/** The newest PostgreSQL server installed the Debian way, unless CHAOS_PG_BIN names another. */
const PG_BIN =
  process.env.CHAOS_PG_BIN ??
  join(
    '/usr/lib/postgresql',
    (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : ['15'])
      .filter((version) => /^\d+$/.test(version))
      .sort((a, b) => Number(a) - Number(b))
      .pop() ?? '15',
    'bin',
  );

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A throwaway Postgres cluster (initdb, trust authentication) on a port and a socket directory
 * of its own, run as the postgres user when this process is root (Postgres refuses root).
 */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'bp-chaos-pg-'));
  port = 0;

  private get data(): string {
    return join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  private async asOwner(command: string, args: string[]): Promise<void> {
    const root = process.getuid?.() === 0;
    const file = join(PG_BIN, command);
    await (root ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args));
  }

  async init(): Promise<void> {
    this.port = await freePort();
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout), Number(gid));
    }
    await this.asOwner('initdb', ['-D', this.data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  }

  private pgCtl(action: 'start' | 'restart', mode = 'fast'): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    const log = join(this.dir, 'postgres.log');
    return this.asOwner('pg_ctl', [
      '-D',
      this.data,
      '-l',
      log,
      '-m',
      mode,
      '-w',
      '-o',
      options,
      action,
    ]);
  }

  start(): Promise<void> {
    return this.pgCtl('start');
  }

  /** As `pg_ctlcluster ... restart` does: a fast shutdown (sessions cut), then a start. */
  restart(): Promise<void> {
    return this.pgCtl('restart');
  }

  /**
   * Stops it cleanly and keeps its files (CHAOS_KEEP): returns how to start it again and reach
   * the chaos database.
   */
  async keep(): Promise<string> {
    await this.asOwner('pg_ctl', ['-D', this.data, '-m', 'fast', 'stop']).catch(() => undefined);
    const user = process.getuid?.() === 0 ? 'runuser -u postgres -- ' : '';
    return (
      `${user}${join(PG_BIN, 'pg_ctl')} -D ${this.data} -o "-p ${this.port} -k ${this.dir}" start; ` +
      `psql -h 127.0.0.1 -p ${this.port} -U postgres chaos`
    );
  }

  /** Stops it at once and deletes its files; safe to call twice and when it never started. */
  async destroy(): Promise<void> {
    await this.asOwner('pg_ctl', ['-D', this.data, '-m', 'immediate', 'stop']).catch(
      () => undefined,
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts again, within half a second, every process that is not running, unless it is held. */
export class Supervisor {
  private timer: NodeJS.Timeout | undefined;
  readonly held = new Set<AppProcess>();
  restarts = 0;

  constructor(private readonly processes: AppProcess[]) {}

  start(): void {
    for (const process of this.processes) if (!process.running) process.start();
    this.timer = setInterval(() => {
      for (const process of this.processes) {
        if (process.running || this.held.has(process)) continue;
        process.start();
        this.restarts++;
      }
    }, 500);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.processes.map((process) => process.kill('SIGKILL')));
  }
}

/** The fake Graph API in a process of its own (see scripts/fake-graph-process.ts). */
export class GraphProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static start(): Promise<GraphProcess> {
    const child = fork(join(__dirname, 'fake-graph-process.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
    });
    return new Promise((resolve) =>
      child.once('message', (message: { url: string }) =>
        resolve(new GraphProcess(child, message.url)),
      ),
    );
  }

  ask<T>(request: Record<string, unknown>, replyType: string): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (message: { type: string }): void => {
        if (message.type !== replyType) return;
        this.child.off('message', onMessage);
        resolve(message as T);
      };
      this.child.on('message', onMessage);
      this.child.send(request);
    });
  }

  /** Freezes the process: connections stay open, nothing is read or answered. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  stop(): void {
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
  }
}
