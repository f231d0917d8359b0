import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class Broadcasts1796522768692 implements MigrationInterface {
  name = 'Broadcasts1796522768692';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "broadcast_unreachable_contacts" ("contact_id" uuid NOT NULL, "bot_id" uuid NOT NULL, "error_code" integer NOT NULL, "error_subcode" integer, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_broadcast_unreachable_contacts" PRIMARY KEY ("contact_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "broadcasts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "audience" jsonb NOT NULL, "content" jsonb NOT NULL, "send_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "message_tag" character varying(40), "notification_topic" character varying(1000), "status" character varying(12) NOT NULL, "materialised_after" uuid, "materialised" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_broadcasts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_broadcasts_active" ON "broadcasts" ("status", "send_at") WHERE status IN ('scheduled', 'sending')`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_broadcasts_bot_created" ON "broadcasts" ("bot_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "broadcast_recipients" ("id" BIGSERIAL NOT NULL, "broadcast_id" uuid NOT NULL, "bot_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "status" character varying(12) NOT NULL, "reason" character varying(40), "error_code" integer, "error_subcode" integer, "error_message" text, "sent_as" character varying(20), "attempts" smallint NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_broadcast_recipients" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_broadcast_recipients_contact" ON "broadcast_recipients" ("contact_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_broadcast_recipients_status" ON "broadcast_recipients" ("broadcast_id", "status", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_broadcast_recipients_contact" ON "broadcast_recipients" ("broadcast_id", "contact_id") `,
    );
    await queryRunner.query(`ALTER TABLE "replies" ADD "source_key" character varying(120)`);
    await queryRunner.query(`ALTER TABLE "replies" ADD "send_options" jsonb`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "ux_replies_source_key" ON "replies" ("source_key") WHERE source_key IS NOT NULL`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_unreachable_contacts" ADD CONSTRAINT "fk_broadcast_unreachable_contacts_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcasts" ADD CONSTRAINT "fk_broadcasts_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" ADD CONSTRAINT "fk_broadcast_recipients_broadcast" FOREIGN KEY ("broadcast_id") REFERENCES "broadcasts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" ADD CONSTRAINT "fk_broadcast_recipients_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" DROP CONSTRAINT "fk_broadcast_recipients_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" DROP CONSTRAINT "fk_broadcast_recipients_broadcast"`,
    );
    await queryRunner.query(`ALTER TABLE "broadcasts" DROP CONSTRAINT "fk_broadcasts_bot"`);
    await queryRunner.query(
      `ALTER TABLE "broadcast_unreachable_contacts" DROP CONSTRAINT "fk_broadcast_unreachable_contacts_contact"`,
    );
    await queryRunner.query(`DROP INDEX "public"."ux_replies_source_key"`);
    await queryRunner.query(`ALTER TABLE "replies" DROP COLUMN "send_options"`);
    await queryRunner.query(`ALTER TABLE "replies" DROP COLUMN "source_key"`);
    await queryRunner.query(`DROP INDEX "public"."ux_broadcast_recipients_contact"`);
    await queryRunner.query(`DROP INDEX "public"."ix_broadcast_recipients_status"`);
    await queryRunner.query(`DROP INDEX "public"."ix_broadcast_recipients_contact"`);
    await queryRunner.query(`DROP TABLE "broadcast_recipients"`);
    await queryRunner.query(`DROP INDEX "public"."ix_broadcasts_bot_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_broadcasts_active"`);
    await queryRunner.query(`DROP TABLE "broadcasts"`);
    await queryRunner.query(`DROP TABLE "broadcast_unreachable_contacts"`);
  }
}
