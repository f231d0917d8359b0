import { type MigrationInterface, type QueryRunner } from 'typeorm';

// Reviewed by hand: two new tables of the contacts module. contact_identities holds the other ids a
// contact is known by (unique per bot and channel, like contacts); contact_subscriptions the
// marketing-message tokens, encrypted, one row per contact, type and topic.

export class MessengerRoundTwo1796518517833 implements MigrationInterface {
  name = 'MessengerRoundTwo1796518517833';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "contact_identities" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "channel" character varying(20) NOT NULL, "external_id" character varying(255) NOT NULL, "external_id_kind" character varying(20) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_contact_identities" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_contact_identities_contact" ON "contact_identities" ("contact_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_contact_identities_bot_channel_external" ON "contact_identities" ("bot_id", "channel", "external_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "contact_subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "channel" character varying(20) NOT NULL, "type" character varying(32) NOT NULL, "topic" character varying(1000) NOT NULL, "title" character varying(255), "token_encrypted" text NOT NULL, "token_hash" character varying(64) NOT NULL, "status" character varying(12) NOT NULL, "frequency" character varying(20), "timezone" character varying(64), "token_expires_at" TIMESTAMP(3) WITH TIME ZONE, "user_token_status" character varying(40), "status_changed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_contact_subscriptions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_contact_subscriptions_token_hash" ON "contact_subscriptions" ("bot_id", "token_hash") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_contact_subscriptions_bot_topic" ON "contact_subscriptions" ("bot_id", "type", "topic", "status") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_contact_subscriptions_contact_type_topic" ON "contact_subscriptions" ("contact_id", "type", "topic") `,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_identities" ADD CONSTRAINT "fk_contact_identities_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_identities" ADD CONSTRAINT "fk_contact_identities_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_subscriptions" ADD CONSTRAINT "fk_contact_subscriptions_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_subscriptions" ADD CONSTRAINT "fk_contact_subscriptions_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "contact_subscriptions" DROP CONSTRAINT "fk_contact_subscriptions_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_subscriptions" DROP CONSTRAINT "fk_contact_subscriptions_bot"`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_identities" DROP CONSTRAINT "fk_contact_identities_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "contact_identities" DROP CONSTRAINT "fk_contact_identities_bot"`,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_contact_subscriptions_contact_type_topic"`);
    await queryRunner.query(`DROP INDEX "public"."ix_contact_subscriptions_bot_topic"`);
    await queryRunner.query(`DROP INDEX "public"."ix_contact_subscriptions_token_hash"`);
    await queryRunner.query(`DROP TABLE "contact_subscriptions"`);
    await queryRunner.query(`DROP INDEX "public"."uq_contact_identities_bot_channel_external"`);
    await queryRunner.query(`DROP INDEX "public"."ix_contact_identities_contact"`);
    await queryRunner.query(`DROP TABLE "contact_identities"`);
  }
}
