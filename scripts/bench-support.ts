import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createHttpApp } from '../src/app.factory';
import { type AppConfig, loadConfig } from '../src/config';
import { deleteRedisPrefix } from '../test/support/redis-prefix';

/** Shared by the bench scripts: an app on its own throwaway database, and latency statistics. */

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix of the bench's own, deleted with its database. */
export function benchQueuePrefix(): string {
  return `bench_${randomBytes(4).toString('hex')}`;
}

export interface BenchApp {
  app: NestFastifyApplication;
  config: AppConfig;
  baseUrl: string;
}

export async function startBenchApp(
  databaseName: string,
  env: Record<string, string> = {},
): Promise<BenchApp> {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_URL}/${databaseName}`,
    REDIS_URL,
    QUEUE_PREFIX: benchQueuePrefix(),
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    ...env,
  });
  const app = await createHttpApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, config, baseUrl: `http://127.0.0.1:${port}` };
}

/**
 * Drops a bench's throwaway database and its jobs: an intake-only run leaves every job it took
 * waiting in Redis, tens of thousands of keys a run.
 */
export async function dropBenchState(databaseName: string, queuePrefix: string): Promise<void> {
  const admin = new Pool({ connectionString: `${PG_URL}/postgres` });
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await deleteRedisPrefix(REDIS_URL, queuePrefix);
}

/**
 * The machine a bench ran on, printed with its figures: CPU model and count, and the load
 * averages (1, 5, 15 min) when it is printed (after the warm-up). CPU per delivery is only
 * comparable between runs on the same kind of machine: the same build's figures moved by half
 * between two 2-core VMs.
 */
export function machineLine(): string {
  const cores = cpus();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cores.length} x ${cores[0]?.model.trim() ?? 'unknown CPU'}; load ${load}`;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

export function summarise(samples: number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

/** Clock ticks per second of /proc times (USER_HZ: 100 on every Linux build this runs on). */
export const TICKS_PER_SECOND = 100;

/** One process's line of /proc/<pid>/stat: its command name and CPU ticks (user, system, reaped children). */
export interface ProcStat {
  name: string;
  ticks: number;
  childTicks: number;
}

/** Reads one process's /proc/<pid>/stat; null once the process is gone. */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  // Fields 14-17 of proc(5): utime, stime, cutime, cstime (here from index 11, after pid and comm).
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
  };
}

/** Every process's CPU ticks now, by pid (Linux /proc); processes that exit meanwhile are skipped. */
function procStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    if (stat) stats.set(pid, stat); // else gone meanwhile
  }
  return stats;
}

/** All cores' busy and total ticks since boot (/proc/stat's first line; idle and iowait are not busy). */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** A snapshot of the CPU a measured window starts from. */
interface CpuSnapshot {
  at: bigint;
  procs: Map<number, ProcStat>;
  machine: { busy: number; total: number };
}

/**
 * Where a measured window's CPU went, in milliseconds of CPU per unit of work (a click, a
 * delivery): the app process, the Postgres backends serving the bench's database, the rest of
 * Postgres (postmaster, WAL writer, checkpointer, autovacuum, other databases, and backends that
 * exited within the window, counted through the postmaster's reaped-children time), Redis, and the
 * harness (load generator, fake Graph API). Each is the sum of per-process deltas of
 * /proc/<pid>/stat over exactly [begin(), end()]; the machine's busy time from /proc/stat and
 * from `vmstat 1` over the same window cross-check the sum: what they show beyond it is other
 * processes sharing the machine.
 */
export class CpuMeter {
  private start: CpuSnapshot | null = null;
  private vmstat: ChildProcess | null = null;
  private vmstatOutput = '';

  /**
   * `appPid`: the app under test; `harnessPids`: the load generator and the fake Graph API;
   * `databaseName`: the bench's own database, whose backends are counted apart.
   */
  constructor(
    private readonly appPid: number,
    private readonly harnessPids: number[] = [],
    private readonly databaseName?: string,
  ) {}

  /** Starts the window. */
  begin(): void {
    this.stopVmstat();
    this.vmstatOutput = '';
    const vmstat = spawn('vmstat', ['-n', '1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    vmstat.on('error', () => undefined); // vmstat missing: its cross-check is left out
    vmstat.stdout.setEncoding('utf8');
    vmstat.stdout.on('data', (chunk: string) => (this.vmstatOutput += chunk));
    this.vmstat = vmstat;
    this.start = { at: process.hrtime.bigint(), procs: procStats(), machine: machineTicks() };
  }

  /**
   * Ends the window and describes it per `units` of work, e.g. "app 0.21 ms (user 0.17, ...)".
   * Throws when begin() was not called: a window from boot is what made these figures wrong once.
   */
  async end(units: number, unitName = 'click'): Promise<string> {
    const start = this.start;
    if (!start) throw new Error('CpuMeter.end() without begin()');
    const procs = procStats();
    const machine = machineTicks();
    const seconds = Number(process.hrtime.bigint() - start.at) / 1e9;
    this.start = null;
    const samples = this.stopVmstat();
    const backends = new Set(await this.backendPids());
    const ticks = { app: 0, harness: 0, dbBackends: 0, postgresOther: 0, redis: 0 };
    for (const [pid, now] of procs) {
      const before = start.procs.get(pid);
      // A process started within the window used all its ticks within it.
      const delta = now.ticks - (before && before.name === now.name ? before.ticks : 0);
      const reaped = now.childTicks - (before?.childTicks ?? now.childTicks);
      if (pid === this.appPid) ticks.app += delta;
      else if (this.harnessPids.includes(pid)) ticks.harness += delta;
      else if (now.name === 'postgres' && backends.has(pid)) ticks.dbBackends += delta;
      else if (now.name === 'postgres') ticks.postgresOther += delta + reaped;
      else if (now.name.startsWith('redis-server')) ticks.redis += delta;
    }
    const perUnit = (t: number): string => ((t * 1000) / TICKS_PER_SECOND / units).toFixed(3);
    const listed = Object.values(ticks).reduce((a, b) => a + b, 0);
    const busy = machine.busy - start.machine.busy;
    const cores = (machine.total - start.machine.total) / TICKS_PER_SECOND / seconds;
    const lines = [
      `CPU ms per ${unitName} over ${seconds.toFixed(1)} s and ${units} ${unitName}s (/proc/<pid>/stat deltas):`,
      `    app ${perUnit(ticks.app)}, postgres backends of the bench database ${perUnit(ticks.dbBackends)}, ` +
        `other postgres processes ${perUnit(ticks.postgresOther)}, redis ${perUnit(ticks.redis)}, ` +
        `harness ${perUnit(ticks.harness)}; sum ${perUnit(listed)}`,
      `    machine busy ${perUnit(busy)} (/proc/stat, ${((busy / TICKS_PER_SECOND / seconds / cores) * 100).toFixed(0)} % of ${cores.toFixed(0)} cores)` +
        (samples.length > 0
          ? `, vmstat ${(((avg(samples) / 100) * cores * seconds * 1000) / units).toFixed(3)} (${avg(samples).toFixed(0)} % busy over ${samples.length} s)`
          : '') +
        `; beyond the sum: other processes on the machine`,
    ];
    return lines.join('\n');
  }

  /** Pids of the Postgres backends connected to the bench's database now. */
  private async backendPids(): Promise<number[]> {
    if (!this.databaseName) return [];
    const admin = new Pool({ connectionString: `${PG_URL}/postgres`, max: 1 });
    try {
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1`,
        [this.databaseName],
      );
      return rows.map((row) => row.pid);
    } finally {
      await admin.end();
    }
  }

  /** Stops vmstat and returns its per-second busy percentages (100 - idle - wait). */
  private stopVmstat(): number[] {
    if (!this.vmstat) return [];
    this.vmstat.kill();
    this.vmstat = null;
    // Columns: r b swpd free buff cache si so bi bo in cs us sy id wa st; the first line is since boot.
    return this.vmstatOutput
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number))
      .filter((cols) => cols.length >= 16 && cols.every(Number.isFinite))
      .slice(1)
      .map((cols) => 100 - cols[14] - cols[15]);
  }
}

function avg(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A JSON client of the management API at `base` with the admin `token`; a non-2xx answer throws. */
export function adminApi(
  base: string,
  token: string,
): (method: string, path: string, body?: unknown) => Promise<any> {
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

/** The fake Graph API in a process of its own (scripts/fake-graph-process.ts), once it listens. */
export function startGraph(): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(join(__dirname, 'fake-graph-process.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
  });
  return new Promise((resolve) =>
    child.once('message', (message: { url: string }) => resolve({ child, url: message.url })),
  );
}

/**
 * The environment of the built app (`dist/main.js`) that a bench spawns: production mode on
 * 127.0.0.1:`port`, its own database and queue prefix, a fresh secrets key; `extra` adds or
 * overrides variables (log level, role, Messenger settings).
 */
export function builtAppEnv(
  app: { port: number; databaseName: string; queuePrefix: string; adminToken: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: String(app.port),
    HOST: '127.0.0.1',
    DATABASE_URL: `${PG_URL}/${app.databaseName}`,
    REDIS_URL,
    QUEUE_PREFIX: app.queuePrefix,
    ADMIN_TOKEN: app.adminToken,
    SECRETS_KEY: randomBytes(32).toString('hex'),
    ...extra,
  };
}
