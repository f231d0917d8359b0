import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import type { Client } from 'pg';
import { procStat, sleep, TICKS_PER_SECOND } from './bench-support';

/**
 * What a bench system (the product or the durable floor) costs over a measured window, from
 * counters the kernel, Postgres and Redis keep: CPU by process, Redis commands, rows written and
 * transactions committed. Each system has a database of its own and the bench a Redis of its own,
 * so every counter read is the system's alone, whatever else runs on the machine.
 */

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  return (procStat(pid)?.ticks ?? 0) / TICKS_PER_SECOND;
}

/** Peak resident memory of a process in MB (VmHWM), NaN once it is gone. */
export function peakRssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024);
  } catch {
    return NaN;
  }
}

/** A Redis of the bench's own on a free port: its CPU and command counts are the bench's alone. */
export async function startPrivateRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = 6500 + Math.floor(Math.random() * 400);
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    // Refused until the server listens: expected, and not worth a line.
    client.on('error', () => undefined);
    const up = await client
      .connect()
      .then(() => client.ping())
      .then(() => true)
      .catch(() => false);
    client.disconnect();
    if (up) return { url, child };
    await sleep(50);
  }
  child.kill();
  throw new Error('the private redis-server did not start');
}

/** Counters of one moment. */
export interface Reading {
  app: number;
  /** CPU seconds per Postgres backend of the system's database. */
  backends: Map<number, number>;
  redis: number;
  redisCommands: number;
  inserted: number;
  updated: number;
  commits: number;
}

/** One system's cost over a window, per delivery. */
export interface Cost {
  appCpuMs: number;
  postgresCpuMs: number;
  redisCpuMs: number;
  cpuMs: number;
  redisCommands: number;
  rowsInserted: number;
  rowsUpdated: number;
  transactions: number;
  /**
   * Postgres CPU ms per committed transaction of the system's database (any: reads and the
   * meter's own included, as in `transactions`; not per delivery; 0 when none committed): beside
   * transactions per delivery, how much of a delivery's Postgres cost sharing a transaction
   * divides.
   */
  postgresCpuMsPerTransaction: number;
}

/** Reads the counters of one system (its process, its database's backends, the bench's Redis). */
export class SystemMeter {
  private start: Reading | undefined;

  constructor(
    private readonly appPid: number,
    private readonly db: Client,
    private readonly redis: Redis,
    private readonly redisPid: number,
    private readonly databaseName: string,
  ) {}

  /** The counters now. */
  async read(): Promise<Reading> {
    const backends = await this.db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      [this.databaseName],
    );
    const tables = await this.db.query<{ ins: string; upd: string }>(
      `SELECT coalesce(sum(n_tup_ins), 0) AS ins, coalesce(sum(n_tup_upd), 0) AS upd
         FROM pg_stat_user_tables`,
    );
    const database = await this.db.query<{ commits: string }>(
      'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = $1',
      [this.databaseName],
    );
    const stats = await this.redis.info('commandstats');
    const redisCommands = [...stats.matchAll(/calls=(\d+)/g)].reduce(
      (sum, [, calls]) => sum + Number(calls),
      0,
    );
    return {
      app: processCpuSeconds(this.appPid),
      backends: new Map(backends.rows.map(({ pid }) => [pid, processCpuSeconds(pid)])),
      redis: processCpuSeconds(this.redisPid),
      redisCommands,
      inserted: Number(tables.rows[0].ins),
      updated: Number(tables.rows[0].upd),
      commits: Number(database.rows[0].commits),
    };
  }

  async begin(): Promise<void> {
    this.start = await this.read();
  }

  /**
   * The cost per delivery since `begin`: CPU and Redis commands from `busy` (read at the window's
   * last answer, so idle time after it is not charged), Postgres's row and transaction counters
   * from `settled` (read once Postgres flushed them). A backend born meanwhile counts from zero.
   */
  cost(deliveries: number, busy: Reading, settled: Reading): Cost {
    const start = this.start!;
    let postgres = 0;
    for (const [pid, seconds] of busy.backends)
      postgres += seconds - (start.backends.get(pid) ?? 0);
    /** `value / count` to two decimals; 0 when there is no count. */
    const ratio = (value: number, count: number): number =>
      count === 0 ? 0 : Math.round((value / count) * 100) / 100;
    const per = (value: number): number => ratio(value, deliveries);
    const ms = (seconds: number): number => per(seconds * 1000);
    const app = busy.app - start.app;
    const redis = busy.redis - start.redis;
    return {
      appCpuMs: ms(app),
      postgresCpuMs: ms(postgres),
      redisCpuMs: ms(redis),
      cpuMs: ms(app + postgres + redis),
      redisCommands: per(busy.redisCommands - start.redisCommands),
      rowsInserted: per(settled.inserted - start.inserted),
      rowsUpdated: per(settled.updated - start.updated),
      transactions: per(settled.commits - start.commits),
      postgresCpuMsPerTransaction: ratio(postgres * 1000, settled.commits - start.commits),
    };
  }
}
