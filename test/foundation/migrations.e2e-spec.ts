import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database';
import { ensureDatabase } from '../../src/database/ensure-database';
import { runMigrations } from '../../src/database/run-migrations';
import { dropDatabase, testEnv, uniqueName } from '../support/test-app';

describe('Migrations', () => {
  const databaseName = uniqueName('bp_test_mig');
  let dataSource: DataSource;

  beforeAll(async () => {
    const config = loadConfig(testEnv(databaseName));
    expect(await ensureDatabase(config.databaseUrl)).toBe(true);
    expect(await ensureDatabase(config.databaseUrl)).toBe(false);
    dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseName);
  });

  it('apply once, even when two processes start together', async () => {
    const [first, second] = await Promise.all([
      runMigrations(dataSource),
      runMigrations(dataSource),
    ]);
    expect([...first, ...second].sort()).toEqual(dataSource.migrations.map((m) => m.name).sort());
  });

  it('leave nothing for the entities to change (no drift between entities and migrations)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert all the way down and apply again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration();
    const tables = await dataSource.query<{ n: number }[]>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'",
    );
    expect(tables[0].n).toBe(0);
    expect(await runMigrations(dataSource)).toHaveLength(dataSource.migrations.length);
  });
});
