import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { createHttpApp } from '../../src/app.factory';
import { type AppOptions } from '../../src/app.module';
import { type AppConfig, loadConfig } from '../../src/config';
import { Http } from './http';
import { deleteRedisPrefix } from './redis-prefix';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const TEST_APP_SECRET = 'test-app-secret-0123456789abcdef';
export const TEST_VERIFY_TOKEN = 'test-verify-token';

/** Log lines the app wrote, parsed. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }

  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: Http;
  /** The admin-authenticated client. */
  admin: Http;
  /** A pool on this suite's own database. */
  db: Pool;
  logs: LogCapture;
  databaseName: string;
  close(): Promise<void>;
}

/** A name unique to this run, safe as a database name and a Redis prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function testEnv(
  databaseName: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: `${PG_URL}/${databaseName}`,
    REDIS_URL,
    QUEUE_PREFIX: uniqueName('t'),
    ADMIN_TOKEN: `admin-${randomBytes(16).toString('hex')}`,
    SECRETS_KEY: randomBytes(32).toString('hex'),
    MESSENGER_APP_SECRET: TEST_APP_SECRET,
    MESSENGER_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    PUBLIC_BASE_URL: 'https://bots.example.com',
    LOG_LEVEL: 'info',
    DB_POOL_SIZE: '10',
    ...extra,
  };
}

export async function dropDatabase(name: string): Promise<void> {
  const pool = new Pool({ connectionString: `${PG_URL}/postgres` });
  try {
    await pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await pool.end();
  }
}

/**
 * Boots the real app (Fastify, Postgres, Redis, workers) on a loopback port, on a database of its
 * own and a Redis prefix of its own, so suites never see each other's rows or jobs.
 */
export async function startTestApp(
  extraEnv: Record<string, string> = {},
  options: Omit<AppOptions, 'logDestination'> = {},
): Promise<TestApp> {
  const databaseName = uniqueName('bp_test');
  const env = testEnv(databaseName, extraEnv);
  const config = loadConfig(env);
  const logs = new LogCapture();
  const app = await createHttpApp(config, { ...options, logDestination: logs });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const http = new Http(`http://127.0.0.1:${address.port}`);
  const db = new Pool({ connectionString: config.databaseUrl, max: 4 });
  // db.end() resolves before its backends are gone: the forced drop at close may still reach one.
  db.on('error', (error: Error & { code?: string }) => {
    if (error.code !== '57P01') throw error;
  });
  // The database the app really uses: a test may point DATABASE_URL elsewhere (through a proxy).
  const ownDatabase = decodeURIComponent(new URL(config.databaseUrl).pathname.slice(1));
  return {
    app,
    config,
    http,
    admin: http.withToken(config.adminToken),
    db,
    logs,
    databaseName,
    async close() {
      // A test may have closed the app itself; its database and jobs still go.
      try {
        await app.close();
      } finally {
        await db.end();
        await dropDatabase(ownDatabase);
        await deleteRedisPrefix(REDIS_URL, config.queuePrefix);
      }
    },
  };
}
