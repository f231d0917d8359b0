import { type MigrationInterface, type QueryRunner } from 'typeorm';

// Reviewed by hand: the welcome column gets the default welcome for existing bots, and the two
// case-insensitive unique indexes (expressions TypeORM cannot express) are added here.
const DEFAULT_WELCOME = JSON.stringify({
  messages: [{ type: 'text', text: 'Hi {{contact.firstName|there}}! How can we help you today?' }],
});

export class ReferralsManagement1795576106994 implements MigrationInterface {
  name = 'ReferralsManagement1795576106994';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "segments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_segments" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_segments_bot_name" ON "segments" ("bot_id", lower("name"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_segments_bot_created" ON "segments" ("bot_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "module_instances" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "type" character varying(50) NOT NULL, "config" jsonb NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_module_instances" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_module_instances_bot_created" ON "module_instances" ("bot_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referrals" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "tracking_param" character varying(100) NOT NULL, "answer_type" character varying(16) NOT NULL, "content" jsonb, "module_id" uuid, "segment_id" uuid NOT NULL, "description" character varying(500), "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "ck_referrals_answer" CHECK ((answer_type = 'message' AND content IS NOT NULL AND module_id IS NULL) OR (answer_type = 'module' AND content IS NULL AND (module_id IS NOT NULL OR deleted_at IS NOT NULL))), CONSTRAINT "pk_referrals" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_referrals_bot_param" ON "referrals" ("bot_id", lower("tracking_param")) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referrals_bot_created" ON "referrals" ("bot_id", "created_at", "id") WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "contacts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "channel" character varying(20) NOT NULL, "external_id" character varying(255) NOT NULL, "external_id_kind" character varying(20) NOT NULL, "first_name" character varying(100), "last_name" character varying(100), "profile_fetched_at" TIMESTAMP(3) WITH TIME ZONE, "first_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_contacts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_contacts_bot_channel_external" ON "contacts" ("bot_id", "channel", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "segment_members" ("segment_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "bot_id" uuid NOT NULL, "joined_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "referral_id" uuid, "tracking_param" character varying(100), CONSTRAINT "pk_segment_members" PRIMARY KEY ("segment_id", "contact_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_segment_members_segment_joined" ON "segment_members" ("segment_id", "joined_at", "contact_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_segment_members_bot_contact" ON "segment_members" ("bot_id", "contact_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "bots" ADD "welcome" jsonb NOT NULL DEFAULT '${DEFAULT_WELCOME}'::jsonb`,
    );
    await queryRunner.query(`ALTER TABLE "bots" ALTER COLUMN "welcome" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "bots" ADD "fallback_module_id" uuid`);
    await queryRunner.query(
      `ALTER TABLE "segments" ADD CONSTRAINT "fk_segments_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "module_instances" ADD CONSTRAINT "fk_module_instances_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals" ADD CONSTRAINT "fk_referrals_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals" ADD CONSTRAINT "fk_referrals_module" FOREIGN KEY ("module_id") REFERENCES "module_instances"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referrals" ADD CONSTRAINT "fk_referrals_segment" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "contacts" ADD CONSTRAINT "fk_contacts_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_members" ADD CONSTRAINT "fk_segment_members_segment" FOREIGN KEY ("segment_id") REFERENCES "segments"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_members" ADD CONSTRAINT "fk_segment_members_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "segment_members" DROP CONSTRAINT "fk_segment_members_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "segment_members" DROP CONSTRAINT "fk_segment_members_segment"`,
    );
    await queryRunner.query(`ALTER TABLE "contacts" DROP CONSTRAINT "fk_contacts_bot"`);
    await queryRunner.query(`ALTER TABLE "referrals" DROP CONSTRAINT "fk_referrals_segment"`);
    await queryRunner.query(`ALTER TABLE "referrals" DROP CONSTRAINT "fk_referrals_module"`);
    await queryRunner.query(`ALTER TABLE "referrals" DROP CONSTRAINT "fk_referrals_bot"`);
    await queryRunner.query(
      `ALTER TABLE "module_instances" DROP CONSTRAINT "fk_module_instances_bot"`,
    );
    await queryRunner.query(`ALTER TABLE "segments" DROP CONSTRAINT "fk_segments_bot"`);
    await queryRunner.query(`ALTER TABLE "bots" DROP COLUMN "fallback_module_id"`);
    await queryRunner.query(`ALTER TABLE "bots" DROP COLUMN "welcome"`);
    await queryRunner.query(`DROP INDEX "public"."ix_segment_members_bot_contact"`);
    await queryRunner.query(`DROP INDEX "public"."ix_segment_members_segment_joined"`);
    await queryRunner.query(`DROP TABLE "segment_members"`);
    await queryRunner.query(`DROP INDEX "public"."uq_contacts_bot_channel_external"`);
    await queryRunner.query(`DROP TABLE "contacts"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referrals_bot_created"`);
    await queryRunner.query(`DROP INDEX "public"."uq_referrals_bot_param"`);
    await queryRunner.query(`DROP TABLE "referrals"`);
    await queryRunner.query(`DROP INDEX "public"."ix_module_instances_bot_created"`);
    await queryRunner.query(`DROP TABLE "module_instances"`);
    await queryRunner.query(`DROP INDEX "public"."ix_segments_bot_created"`);
    await queryRunner.query(`DROP INDEX "public"."uq_segments_bot_name"`);
    await queryRunner.query(`DROP TABLE "segments"`);
  }
}
