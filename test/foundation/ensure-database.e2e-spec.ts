import { Pool } from 'pg';
import { ensureDatabase } from '../../src/database/ensure-database';
import { dropDatabase, PG_URL, uniqueName } from '../support/test-app';

/** A URL to `database` as `role`, on the test server. */
function urlAs(role: string, database: string): string {
  const url = new URL(`${PG_URL}/${database}`);
  url.username = role;
  return url.toString();
}

describe('Ensuring the database exists', () => {
  const role = uniqueName('bp_test_role');
  const existing = uniqueName('bp_test_ens');
  const missing = uniqueName('bp_test_ens');
  const admin = new Pool({ connectionString: `${PG_URL}/postgres`, max: 1 });

  beforeAll(async () => {
    // A role the `postgres` maintenance database turns away, as managed Postgres often does;
    // only this role is affected.
    await admin.query(`CREATE ROLE "${role}" LOGIN CREATEDB`);
    await admin.query(
      `ALTER ROLE "${role}" IN DATABASE postgres SET session_preload_libraries = 'bp_no_such_library'`,
    );
    await admin.query(`CREATE DATABASE "${existing}"`);
  });
  afterAll(async () => {
    await dropDatabase(existing);
    await dropDatabase(missing);
    await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin.end();
  });

  it('uses an existing database without connecting to the maintenance database', async () => {
    await expect(ensureDatabase(urlAs(role, existing))).resolves.toBe(false);
  });

  it('creates a missing database through the maintenance database, once', async () => {
    await expect(ensureDatabase(`${PG_URL}/${missing}`)).resolves.toBe(true);
    await expect(ensureDatabase(`${PG_URL}/${missing}`)).resolves.toBe(false);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      missing,
    ]);
    expect(rowCount).toBe(1);
  });

  it('still reports other connection failures', async () => {
    await expect(ensureDatabase(urlAs(`${role}_unknown`, existing))).rejects.toMatchObject({
      code: '28000',
    });
  });
});
