import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The tables whose `bot_id` foreign key this migration drops, and the key's name. */
const IMPLIED = [
  ['conversations', 'fk_conversations_bot'],
  ['referral_entries', 'fk_referral_entries_bot'],
  ['referral_contacts', 'fk_referral_contacts_bot'],
  ['referral_answers', 'fk_referral_answers_bot'],
  ['contact_identities', 'fk_contact_identities_bot'],
] as const;

/**
 * Drops the `bot_id → bots` foreign key of the rows that belong to a contact: conversations,
 * referral entries, `referral_contacts` pairs, referral answers and contact identities. Each has
 * a `contact_id` that is NOT NULL and cascades from `contacts`, whose own `bot_id` key cascades
 * from `bots`: deleting a bot still deletes them (through its contacts), and `bot_id` is written
 * from the same contact row in every insert. Postgres checks each foreign key of an inserted row
 * with a query of its own (`RI_FKey_check_ins`, a `SELECT … FOR KEY SHARE` on the referenced row);
 * a new person's referral entry inserts four of these rows, so four of its 22 checks went, about
 * 2% of Postgres's CPU per delivery (perf, `npm run bench:webhook`). `referral_entries` is
 * partitioned: the key is dropped from its partitions with it.
 * Source: https://www.postgresql.org/docs/15/ddl-constraints.html#DDL-CONSTRAINTS-FK
 */
export class BotKeysImpliedByContact1796610000000 implements MigrationInterface {
  name = 'BotKeysImpliedByContact1796610000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, key] of IMPLIED)
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${key}"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, key] of IMPLIED)
      await queryRunner.query(
        `ALTER TABLE "${table}" ADD CONSTRAINT "${key}" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
      );
  }
}
