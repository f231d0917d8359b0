import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `contacts_known_keys(bot_ids, channels, external_ids)`: of the given keys
 * (`bot_id|channel|external_id`), those whose contact exists (`known`) and those among them whose
 * profile was looked up (`profiled`), as `{"known": [...], "profiled": [...]}`. The contacts
 * module lends it to the Messenger inbound batch's first statement (`knownKeysExpr`), which also
 * takes the contacts' locks: the batch learns in the round trip that locks them which contacts
 * need a profile look-up, and which do not exist yet, so that it can insert those without waiting
 * for an answer. PL/pgSQL and VOLATILE for the reasons of `contacts_profiled_keys`
 * (1796570000100-ContactsProfiledKeys): planned once per connection, and read with a snapshot
 * taken when it runs, after the locks. `contacts_profiled_keys` stays, unused by this release:
 * processes of the release before call it until a rolling deploy replaces them.
 */
export class ContactsKnownKeys1796590000000 implements MigrationInterface {
  name = 'ContactsKnownKeys1796590000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION contacts_known_keys(
        bot_ids uuid[], channels varchar[], external_ids varchar[]
      ) RETURNS jsonb
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        RETURN (
          SELECT jsonb_build_object(
                   'known', coalesce(jsonb_agg(c.bot_id || '|' || c.channel || '|' || c.external_id), '[]'),
                   'profiled', coalesce(jsonb_agg(c.bot_id || '|' || c.channel || '|' || c.external_id)
                                          FILTER (WHERE c.profile_fetched_at IS NOT NULL), '[]'))
            FROM unnest(bot_ids, channels, external_ids) AS k(bot_id, channel, external_id)
            JOIN contacts c USING (bot_id, channel, external_id)
        );
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION contacts_known_keys(uuid[], varchar[], varchar[])`);
  }
}
