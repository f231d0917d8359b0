import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port';
import Redis from 'ioredis';

/**
 * A redis-server of a test's own, on its own port, without persistence: killing it and starting
 * it again gives a Redis that comes back empty, as after a restart without persistence or a
 * failover to a replica that lagged. The machine's Redis is shared and never touched.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  port = 0;
  /** Where a SAVE writes `dump.rdb` (the chaos suite's CHAOS_KEEP); redis-server's cwd when unset. */
  dir: string | undefined;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (on the same port as before, if it ran already) and waits until it answers. */
  async start(): Promise<void> {
    if (this.child) return;
    if (!this.port) this.port = await freePort();
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...(this.dir ? ['--dir', this.dir] : []),
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (await this.answers()) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGKILLs it: everything it held is gone. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Freezes it (SIGSTOP): connections stay open, nothing answers. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private async answers(): Promise<boolean> {
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
