import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `messenger_inbox_lock_pending(pages, senders, bound_times, bound_ids)`: the Messenger inbound
 * batch's first statement, which was three round trips (`SET LOCAL plan_cache_mode`, the
 * contacts' advisory locks, their pending items). A function because one plain statement cannot
 * take the locks before it reads: its snapshot is taken when it starts, so a contact's item that
 * another batch handled while this one waited for the lock would be read as pending. In a VOLATILE
 * function each statement takes a fresh snapshot, so the read comes after the locks, as before.
 * It also sets the planner for the rest of the transaction (`set_config(…, true)`):
 * - generic plans (`plan_cache_mode`), as the batch's `SET LOCAL` did: its statements are fed by
 *   `unnest`, which Postgres would plan anew on every call;
 * - no sequential scan where an index serves (`enable_seqscan`). A generic plan is made once per
 *   connection and kept until the table's statistics change: one made while a table was small
 *   (a fresh deployment, a new month's entries partition) joined the batch's keys to it by
 *   scanning it whole, 0.1-0.6 ms a batch and growing with the table (auto_explain in
 *   `npm run bench:webhook`). With it off, the plan looks each key up by index at any size.
 * Sources: https://www.postgresql.org/docs/15/xfunc-volatility.html,
 * https://www.postgresql.org/docs/15/runtime-config-query.html
 */
export class InboxLockPending1796570000000 implements MigrationInterface {
  name = 'InboxLockPending1796570000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION messenger_inbox_lock_pending(
        pages varchar[], senders varchar[], bound_times timestamptz[], bound_ids bigint[]
      ) RETURNS SETOF messenger_inbox
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
        PERFORM set_config('enable_seqscan', 'off', true);
        -- One order for every batch, so two batches cannot deadlock on each other's contacts.
        PERFORM pg_advisory_xact_lock(ordered.h) FROM (
          SELECT DISTINCT hashtextextended(c.p || '|' || c.s, 0) AS h
            FROM unnest(pages, senders) AS c(p, s) ORDER BY h
        ) ordered;
        -- FOR UPDATE re-checks each row after a row lock wait: an item another batch finished
        -- meanwhile is skipped.
        RETURN QUERY
          SELECT item.* FROM unnest(pages, senders, bound_times, bound_ids)
                               AS bound(page_id, sender_key, occurred_at, id)
          CROSS JOIN LATERAL (
            SELECT i.* FROM messenger_inbox i
             WHERE i.page_id = bound.page_id AND i.sender_key = bound.sender_key
               AND i.status = 'pending'
               AND (i.occurred_at, i.id) <= (bound.occurred_at, bound.id)
             ORDER BY i.occurred_at, i.id
             FOR UPDATE
          ) item;
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP FUNCTION messenger_inbox_lock_pending(varchar[], varchar[], timestamptz[], bigint[])`,
    );
  }
}
