import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `messages.kind` held two vocabularies: the event kind of an inbound row (`EventKind`: referral,
 * text, ...) and the content type of an outbound one (text, image, thread_control, ...). Each now
 * has its own column, backfilled from `kind`, and a CHECK ties each to its direction.
 */
export class MessageEventKindContentType1796550000000 implements MigrationInterface {
  name = 'MessageEventKindContentType1796550000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "event_kind" character varying(20)`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "content_type" character varying(20)`);
    await queryRunner.query(
      `UPDATE "messages" SET "event_kind" = CASE WHEN "direction" = 'in' THEN "kind" END,
                             "content_type" = CASE WHEN "direction" = 'out' THEN "kind" END`,
    );
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "kind"`);
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "ck_messages_kind_by_direction" CHECK (` +
        `("direction" = 'in' AND "event_kind" IS NOT NULL AND "content_type" IS NULL) OR ` +
        `("direction" = 'out' AND "content_type" IS NOT NULL AND "event_kind" IS NULL))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "messages" DROP CONSTRAINT "ck_messages_kind_by_direction"`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ADD "kind" character varying(20)`);
    await queryRunner.query(
      `UPDATE "messages" SET "kind" = COALESCE("event_kind", "content_type")`,
    );
    await queryRunner.query(`ALTER TABLE "messages" ALTER COLUMN "kind" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "content_type"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "event_kind"`);
  }
}
