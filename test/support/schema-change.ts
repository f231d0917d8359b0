/** SQLSTATE of a transaction Postgres rolled back to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';
const ATTEMPTS = 5;

/**
 * Runs a test's DDL (`sql`: one or more statements in one simple query, hence one implicit
 * transaction) against the database a running app uses: creating or dropping a fault-injecting
 * trigger, renaming a table. DDL takes strong table locks (ACCESS EXCLUSIVE to drop a trigger or
 * rename a table, SHARE ROW EXCLUSIVE to create a trigger; on a partitioned table, on each
 * partition after the parent), so it can close a deadlock cycle with the app's transactions, and
 * Postgres may roll back the DDL to break it: the whole query is then run again, up to ATTEMPTS
 * times (nothing of it stayed). Other errors are thrown as they come. `db`: a pool or a TypeORM
 * DataSource, so each attempt is a transaction of its own; not a client inside an open
 * transaction, which the failure leaves aborted. The app's transactions can be the victim too:
 * the app retries those itself.
 * Source: https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-DEADLOCKS
 */
export async function changeSchema(
  db: { query(sql: string): Promise<unknown> },
  sql: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt === ATTEMPTS)
        throw error;
    }
  }
}
