import { type DataSource, type EntityManager } from 'typeorm';

/** Whether a table (a partition) of this name exists in the current schema. */
export async function tableExists(manager: EntityManager, name: string): Promise<boolean> {
  const rows = await manager.query<unknown[]>(
    `SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`,
    [name],
  );
  return rows.length > 0;
}

/**
 * Creates `name` as the partition of `table` for [from, to), unless it exists. A brief lock on the
 * parent: it waits behind long transactions for 5 s at most and fails then (the next run retries).
 * `table` and `name` are this module's own identifiers, never input.
 */
export async function createMonthlyPartition(
  dataSource: DataSource,
  table: string,
  name: string,
  from: Date,
  to: Date,
): Promise<void> {
  await dataSource.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '5s'`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}"
         FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
    );
  });
}

/** Deletes up to `limit` first-seen clickers older than `kept` (an interval); returns how many. */
export async function deleteClickersOlderThan(
  manager: EntityManager,
  kept: string,
  limit: number,
): Promise<number> {
  const result = await manager.query<[unknown[], number]>(
    `DELETE FROM referral_clickers WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM referral_clickers WHERE first_clicked_at < now() - $1::interval LIMIT $2))`,
    [kept, limit],
  );
  return result[1];
}

/** Deletes the ids of click batches written more than a day ago; returns how many. */
export async function deleteOldClickBatches(manager: EntityManager): Promise<number> {
  const result = await manager.query<[unknown[], number]>(
    `DELETE FROM referral_click_batches WHERE written_at < now() - interval '1 day'`,
  );
  return result[1];
}
