import { Pool, type PoolClient } from 'pg';
import { changeSchema } from '../support/schema-change';
import { dropDatabase, PG_URL, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * The tests' DDL helper against a real deadlock. The session that runs the deadlock check when
 * its wait passes `deadlock_timeout` is the one Postgres rolls back: the DDL's session checks
 * after 2 s and the other's only after a minute, so the DDL is the one, and it goes through once
 * the other transaction ends.
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
      options: '-c deadlock_timeout=2s',
    });
    appPool = new Pool({
      connectionString: `${PG_URL}/${name}`,
      max: 1,
      options: '-c deadlock_timeout=60s',
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
    const attempts: string[] = [];
    const counted = {
      query: (sql: string) => {
        attempts.push(sql);
        return db.query(sql);
      },
    };
    try {
      const { rows } = await app.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The "app" holds the second table; the DDL takes the first, then waits for the second.
      await app.query('BEGIN; LOCK TABLE second_table IN ROW EXCLUSIVE MODE');
      const ddl = changeSchema(
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
      expect(await waitsForLock(rows[0].pid)).toBe(false);
      await app.query('COMMIT');
      await ddl;
      expect(attempts).toHaveLength(2);
      const { rows: tables } = await db.query<{ relname: string }>(
        `SELECT relname FROM pg_class WHERE relname LIKE '%_moved' ORDER BY relname`,
      );
      expect(tables.map((table) => table.relname)).toEqual(['first_moved', 'second_moved']);
      // Not a deadlock: thrown at once.
      attempts.length = 0;
      await expect(
        changeSchema(counted, 'ALTER TABLE no_such_table RENAME TO x'),
      ).rejects.toMatchObject({ code: '42P01' });
      expect(attempts).toHaveLength(1);
    } finally {
      await app.query('ROLLBACK').catch(() => undefined);
      app.release();
    }
  });
});
