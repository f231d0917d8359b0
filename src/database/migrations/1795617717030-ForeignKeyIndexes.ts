import { type MigrationInterface, type QueryRunner } from 'typeorm';

// Reviewed by hand: references that point at nothing are cleared first (as ON DELETE SET NULL
// would have done), so adding the foreign keys cannot fail on existing rows. The nullable
// columns get partial indexes: the foreign keys only ever look up non-null values. Plain CREATE
// INDEX (migrations run in a transaction) blocks writes to each table while its index builds.
const DANGLING: [table: string, column: string, target: string][] = [
  ['bots', 'fallback_module_id', 'module_instances'],
  ['segment_members', 'referral_id', 'referrals'],
  ['referral_entries', 'conversation_id', 'conversations'],
  ['conversations', 'first_referral_id', 'referrals'],
  ['conversations', 'last_referral_id', 'referrals'],
];

export class ForeignKeyIndexes1795617717030 implements MigrationInterface {
  name = 'ForeignKeyIndexes1795617717030';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column, target] of DANGLING) {
      await queryRunner.query(
        `UPDATE "${table}" SET "${column}" = NULL WHERE "${column}" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "${target}" t WHERE t.id = "${table}"."${column}")`,
      );
    }
    await queryRunner.query(
      `CREATE INDEX "ix_bots_fallback_module" ON "bots" ("fallback_module_id") WHERE fallback_module_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_segment_members_referral" ON "segment_members" ("referral_id") WHERE referral_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_segment_members_contact" ON "segment_members" ("contact_id") `,
    );
    await queryRunner.query(`CREATE INDEX "ix_referrals_segment" ON "referrals" ("segment_id") `);
    await queryRunner.query(
      `CREATE INDEX "ix_referrals_module" ON "referrals" ("module_id") WHERE module_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_entries_conversation" ON "referral_entries" ("conversation_id") WHERE conversation_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conversations_last_referral" ON "conversations" ("last_referral_id") WHERE last_referral_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conversations_first_referral" ON "conversations" ("first_referral_id") WHERE first_referral_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_replies_conversation" ON "replies" ("conversation_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "bots" ADD CONSTRAINT "fk_bots_fallback_module" FOREIGN KEY ("fallback_module_id") REFERENCES "module_instances"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_members" ADD CONSTRAINT "fk_segment_members_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "fk_conversations_first_referral" FOREIGN KEY ("first_referral_id") REFERENCES "referrals"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "fk_conversations_last_referral" FOREIGN KEY ("last_referral_id") REFERENCES "referrals"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "conversations" DROP CONSTRAINT "fk_conversations_last_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" DROP CONSTRAINT "fk_conversations_first_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" DROP CONSTRAINT "fk_referral_entries_conversation"`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_members" DROP CONSTRAINT "fk_segment_members_referral"`,
    );
    await queryRunner.query(`ALTER TABLE "bots" DROP CONSTRAINT "fk_bots_fallback_module"`);
    await queryRunner.query(`DROP INDEX "public"."ix_replies_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversations_first_referral"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversations_last_referral"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_entries_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referrals_module"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referrals_segment"`);
    await queryRunner.query(`DROP INDEX "public"."ix_segment_members_contact"`);
    await queryRunner.query(`DROP INDEX "public"."ix_segment_members_referral"`);
    await queryRunner.query(`DROP INDEX "public"."ix_bots_fallback_module"`);
  }
}
