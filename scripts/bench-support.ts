import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { type ChildProcess, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * CPU seconds used so far by the processes whose command name passes `match` (Linux /proc),
 * with what their exited children used: Postgres backends come and go, their parent keeps count.
 */
export function cpuSeconds(match: (pid: number, name: string) => boolean): number {
  const ticksPerSecond = 100;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    if (!match(pid, name)) continue;
    const fields = stat.slice(close + 2).split(' ');
    // utime + stime + cutime + cstime
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / ticksPerSecond;
}

/** CPU seconds all cores spent busy (not idle nor waiting on I/O) since boot. */
function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Where a phase's CPU went: the app process, Postgres and Redis, per delivery. */
export class CpuMeter {
  private start: Record<string, number> = {};

  /** `harnessPids`: the load generator and the fake Graph API, which share the machine too. */
  constructor(
    private readonly appPid: number,
    private readonly harnessPids: number[] = [],
  ) {}

  private read(): Record<string, number> {
    return {
      app: cpuSeconds((pid) => pid === this.appPid),
      harness: cpuSeconds((pid) => this.harnessPids.includes(pid)),
      postgres: cpuSeconds((_, name) => name === 'postgres'),
      redis: cpuSeconds((_, name) => name.startsWith('redis-server')),
      machine: machineBusySeconds(),
    };
  }

  begin(): void {
    this.start = this.read();
  }

  /** e.g. "app 2.1 ms, postgres 1.3 ms, redis 0.2 ms, machine 5.0 ms" per delivery since `begin`. */
  perDelivery(deliveries: number): string {
    const now = this.read();
    return Object.entries(now)
      .map(([key, value]) => {
        const ms = ((value - (this.start[key] ?? 0)) * 1000) / deliveries;
        return `${key} ${ms.toFixed(2)} ms`;
      })
      .join(', ');
  }
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
