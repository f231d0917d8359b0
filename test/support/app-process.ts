import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** How an app process is started: from `dist/` (built, as production runs it) or from source. */
export type AppEntry = 'dist' | 'source';

/**
 * The app as a real operating-system process (PROCESS_ROLE api, worker or all), so a test or the
 * chaos suite can SIGKILL it mid-flight and start it again, as a supervisor would. Its log lines
 * are kept (the last 2,000) to wait on and to show when something goes wrong.
 */
export class AppProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly lines: string[] = [];
  /** How many times the process was started. */
  starts = 0;
  /** Per watched text (see `watch`), how many log lines contained it, over every start. */
  readonly counts = new Map<string, number>();
  /** The watched lines themselves, the first 200. */
  readonly matches: string[] = [];
  /** When set, gets every line the process logs, over every start (the chaos suite's CHAOS_KEEP). */
  tee: ((lines: string[]) => void) | undefined;

  constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    /** Tests run the source (a stale `dist/` would test old code); the chaos suite builds first. */
    private readonly entry: AppEntry = 'source',
  ) {}

  /** Counts, from now on, the log lines that contain `text` (in `counts`). */
  watch(text: string): void {
    this.counts.set(text, this.counts.get(text) ?? 0);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process; resolves at once (wait for `ready` to know it took work). */
  start(): void {
    if (this.child) throw new Error(`${this.name} is already running`);
    const args =
      this.entry === 'dist'
        ? [join(ROOT, 'dist', 'main.js')]
        : ['-r', 'ts-node/register/transpile-only', join(ROOT, 'src', 'main.ts')];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts++;
    this.child = child;
    const keep = (chunk: Buffer): void => {
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      for (const [text, count] of this.counts) {
        const matching = lines.filter((line) => line.includes(text));
        this.counts.set(text, count + matching.length);
        this.matches.push(...matching.slice(0, 200 - this.matches.length));
      }
      this.tee?.(lines);
      this.lines.push(...lines);
      if (this.lines.length > 2000) this.lines.splice(0, this.lines.length - 2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
  }

  /** Sends `signal` and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** Resolves once a log line contains `text`, counting only lines logged from `from` on. */
  async waitForLog(text: string, timeoutMs = 60_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.lines.slice(from).some((line) => line.includes(text))) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.name}: no log line with "${text}" within ${timeoutMs} ms; last lines:\n` +
            this.lines.slice(-15).join('\n'),
        );
      if (!this.child) throw new Error(`${this.name} exited:\n${this.lines.slice(-15).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
