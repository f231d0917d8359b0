/**
 * npm run fuzz — builds the app, serves it on a throwaway database and queue prefix, and drives every
 * operation of its /docs-json with generated requests (fast-check, fixed seed; the admin token, the
 * API keys of two bot tenants, no token and a bogus one; the widget Chat API with each tenant's
 * visitor session, another's or junk, the widget rate limits raised). Prints per operation:
 * requests, 2xx, 3xx, 4xx, 5xx, error answers outside the one error body, and bot-key answers on
 * another tenant's bot.
 * Exits non-zero unless there is no 5xx, no wrong-shape body and no cross-tenant answer.
 *
 * Knobs: FUZZ_RUNS (requests per operation, 1000), FUZZ_SEED (9), FUZZ_CONCURRENCY (8).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type * as Factory from '../src/app.factory';
import type * as Config from '../src/config';
import { formatStats, FUZZ_WIDGET_RATES, fuzzApi, makeTenantsThroughApi } from './api-fuzzer';
import { benchQueuePrefix, dropBenchState, PG_URL, REDIS_URL } from './bench-support';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 9);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);

// The built app: the Swagger compiler plugin documents the DTOs only in `nest build` output.
const DIST = join(__dirname, '..', 'dist');
/* eslint-disable @typescript-eslint/no-require-imports */
const { createHttpApp } = require(join(DIST, 'app.factory')) as typeof Factory;
const { loadConfig } = require(join(DIST, 'config')) as typeof Config;
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(): Promise<void> {
  const databaseName = `bp_fuzz_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: `${PG_URL}/${databaseName}`,
    REDIS_URL,
    QUEUE_PREFIX: queuePrefix,
    ADMIN_TOKEN: randomBytes(24).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    MESSENGER_APP_SECRET: randomBytes(16).toString('hex'),
    MESSENGER_VERIFY_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'silent',
    ...FUZZ_WIDGET_RATES,
  });
  let failed = true;
  const app = await createHttpApp(config);
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    const baseUrl = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const rows = await fuzzApi({
      baseUrl,
      adminToken: config.adminToken,
      makeTenants: () => makeTenantsThroughApi(baseUrl, config.adminToken),
      runsPerOperation: RUNS,
      seed: SEED,
      concurrency: CONCURRENCY,
      onOperation: (operation) => process.stderr.write(`fuzzing ${operation}\n`),
    });
    process.stdout.write(`${formatStats(rows)}\n`);
    const bad = rows.filter((r) => r['5xx'] > 0 || r.wrongShape > 0 || r.crossTenant > 0);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    process.stdout.write(
      `${rows.length} operations, ${RUNS} requests each, seed ${SEED}, ${seconds} s: ` +
        `${bad.length === 0 ? 'no 5xx, no wrong-shape body, no cross-tenant answer' : `${bad.length} operations failed`}\n`,
    );
    failed = bad.length > 0;
  } finally {
    await app.close();
    await dropBenchState(databaseName, queuePrefix);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
