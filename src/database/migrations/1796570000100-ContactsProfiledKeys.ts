import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `contacts_profiled_keys(bot_ids, channels, external_ids)`: the keys (`bot_id|channel|external_id`)
 * among the given ones whose contact exists and had its profile looked up. The contacts module
 * lends it to the Messenger inbound batch's first statement (`profiledKeysExpr`), which also takes
 * the contacts' locks, so the batch learns which contacts need a profile look-up without a round
 * trip of its own. PL/pgSQL, so that Postgres does not inline it into the caller's statement: its
 * query is planned once per connection under the batch's generic plans, not with the caller's
 * statement on every call. VOLATILE, so that it reads with a snapshot of its own, taken when it
 * runs: after the locks, so a batch that waited for a contact's lock sees the profile the batch
 * before it looked up (a STABLE function reads as of the caller's start, before the wait).
 */
export class ContactsProfiledKeys1796570000100 implements MigrationInterface {
  name = 'ContactsProfiledKeys1796570000100';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION contacts_profiled_keys(
        bot_ids uuid[], channels varchar[], external_ids varchar[]
      ) RETURNS text[]
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RETURN (
          SELECT coalesce(array_agg(c.bot_id || '|' || c.channel || '|' || c.external_id), '{}')
            FROM unnest(bot_ids, channels, external_ids) AS k(bot_id, channel, external_id)
            JOIN contacts c USING (bot_id, channel, external_id)
           WHERE c.profile_fetched_at IS NOT NULL
        );
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION contacts_profiled_keys(uuid[], varchar[], varchar[])`);
  }
}
