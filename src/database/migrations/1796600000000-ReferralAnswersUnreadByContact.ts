import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `ix_referral_answers_unread` keys a contact's unread answers by `contact_id` alone. With
 * `sent_at` in the key, marking an answer sent changed an indexed column, so every such UPDATE
 * (one per answer sent) wrote a new entry in each of the table's four indexes; without it the
 * update is a HOT one (PostgreSQL docs, "Heap-Only Tuples"), written in the heap page only when the
 * page has room. The receipts' look-ups find a contact's few unread answers by `contact_id` and
 * test `sent_at` on the rows.
 */
export class ReferralAnswersUnreadByContact1796600000000 implements MigrationInterface {
  name = 'ReferralAnswersUnreadByContact1796600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_referral_answers_unread"`);
    await queryRunner.query(
      `CREATE INDEX "ix_referral_answers_unread" ON "referral_answers" ("contact_id") WHERE read_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_referral_answers_unread"`);
    await queryRunner.query(
      `CREATE INDEX "ix_referral_answers_unread" ON "referral_answers" ("contact_id", "sent_at") WHERE read_at IS NULL`,
    );
  }
}
