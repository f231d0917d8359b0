import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createHttpApp } from '../src/app.factory';
import { type AppConfig, loadConfig } from '../src/config';

/** Shared by the bench scripts: an app on its own throwaway database, and latency statistics. */

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

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
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `bench_${randomBytes(4).toString('hex')}`,
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

/** Drops a bench's throwaway database. */
export async function dropBenchDatabase(name: string): Promise<void> {
  const admin = new Pool({ connectionString: `${PG_URL}/postgres` });
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
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
