import { Pool, type PoolClient } from 'pg';
import { changeSchema } from '../support/schema-change';
import { dropDatabase, PG_URL, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The tests' DDL helper against a real deadlock. Postgres checks for a deadlock once per lock
 * wait, when the wait passes `deadlock_timeout`, and the session that finds one is rolled back:
 * the DDL's session checks after 5 s, long after the other closes the cycle, and the other's only
 * after a minute, so the DDL is the one, and it goes through once the other transaction ends. The
 * other session gives up its statements after 15 s, so a cycle that did not close in time fails
 * the test rather than hanging it.
 */
describe('changeSchema (integration)', () => {
  const name = uniqueName('bp_test_ddl');
  let admin: Pool;
  /** For the DDL and the reads of the test. */
  let db: Pool;
  /** For the transaction that plays the app's. */
  let appPool: Pool;

  beforeAll(async () => {
    admin = new Pool({ connectionString: `${PG_URL}/postgres` });
    await admin.query(`CREATE DATABASE "${name}"`);
    db = new Pool({
      connectionString: `${PG_URL}/${name}`,
      max: 2,
      options: '-c deadlock_timeout=5s',
    });
    appPool = new Pool({
      connectionString: `${PG_URL}/${name}`,
      max: 1,
      options: '-c deadlock_timeout=60s -c statement_timeout=15s',
    });
    await db.query(`CREATE TABLE first_table (id int); CREATE TABLE second_table (id int)`);
  });
  afterAll(async () => {
    await db.end();
    await appPool.end();
    await admin.end();
    await dropDatabase(name);
  });

  /** Whether `pid` waits for a lock. */
  async function waitsForLock(pid: number): Promise<boolean> {
    const { rows } = await db.query<{ waiting: boolean }>(
      `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    return rows[0]?.waiting === true;
  }

  it('runs the DDL again when Postgres picked it to break a deadlock, and lets other errors through', async () => {
    const app: PoolClient = await appPool.connect();
    /** Each attempt's SQL and the SQLSTATE it failed with (null: it went through). */
    const attempts: { sql: string; failed: string | null }[] = [];
    const counted = {
      query: async (sql: string) => {
        const attempt = { sql, failed: null as string | null };
        attempts.push(attempt);
        return db.query(sql).catch((error: { code?: string }) => {
          attempt.failed = error.code ?? 'unknown';
          throw error;
        });
      },
    };
    let ddl: Promise<void> = Promise.resolve();
    try {
      // The "app" holds the second table; the DDL takes the first, then waits for the second.
      await app.query('BEGIN; LOCK TABLE second_table IN ROW EXCLUSIVE MODE');
      ddl = changeSchema(
        counted,
        'ALTER TABLE first_table RENAME TO first_moved; ALTER TABLE second_table RENAME TO second_moved',
      );
      const ddlPid = async (): Promise<number | undefined> =>
        (
          await db.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE first_table%'`,
          )
        ).rows[0]?.pid;
      await waitFor(async () => await waitsForLock((await ddlPid()) ?? -1), {
        what: 'the DDL to wait for the second table',
      });
      // The "app" now wants the first table: a cycle, which Postgres breaks by failing the DDL.
      await app.query('LOCK TABLE first_table IN ACCESS SHARE MODE');
      await app.query('COMMIT');
      await ddl;
      expect(attempts.map((attempt) => attempt.failed)).toEqual(['40P01', null]);
      const { rows: tables } = await db.query<{ relname: string }>(
        `SELECT relname FROM pg_class WHERE relname LIKE '%_moved' ORDER BY relname`,
      );
      expect(tables.map((table) => table.relname)).toEqual(['first_moved', 'second_moved']);
      // Not a deadlock: thrown at once.
      attempts.length = 0;
      await expect(
        changeSchema(counted, 'ALTER TABLE no_such_table RENAME TO x'),
      ).rejects.toMatchObject({ code: '42P01' });
      expect(attempts.map((attempt) => attempt.failed)).toEqual(['42P01']);
    } finally {
      await app.query('ROLLBACK').catch(() => undefined);
      app.release();
      // Settled before the pools end, whatever failed above.
      await ddl.catch(() => undefined);
    }
  });
});
