import { type INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config';

/**
 * The planner settings the inbound batch changes in its transaction, `plan_cache_mode/enable_seqscan`
 * (Postgres's defaults: `auto/on`), of every connection of the app's pool: as many concurrent
 * queries as the pool holds connections, so each runs on its own (a setting left on one cannot
 * hide).
 */
export async function planModesOfPool(app: INestApplication): Promise<string[]> {
  const poolSize = app.get(AppConfig).dbPoolSize;
  const dataSource = app.get(DataSource);
  const rows = await Promise.all(
    Array.from({ length: poolSize }, () =>
      dataSource.query<{ mode: string }[]>(
        `SELECT current_setting('plan_cache_mode') || '/' || current_setting('enable_seqscan') AS mode,
                pg_sleep(0.01)`,
      ),
    ),
  );
  return rows.map(([row]) => row.mode);
}
