import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class MessengerChannel1795577334611 implements MigrationInterface {
  name = 'MessengerChannel1795577334611';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referral_entries" ("id" BIGSERIAL NOT NULL, "bot_id" uuid NOT NULL, "referral_id" uuid, "raw_ref" character varying(2100), "source" character varying(100), "channel" character varying(20) NOT NULL, "contact_id" uuid NOT NULL, "conversation_id" uuid, "is_new_contact" boolean NOT NULL, "ad_id" character varying(100), "ads_context" jsonb, "referer_uri" text, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_referral_entries" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_entries_contact" ON "referral_entries" ("contact_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_entries_bot_time" ON "referral_entries" ("bot_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_entries_referral_time" ON "referral_entries" ("referral_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "messenger_inbox" ("id" BIGSERIAL NOT NULL, "dedupe_key" character varying(500) NOT NULL, "page_id" character varying(32) NOT NULL, "bot_id" uuid, "sender_key" character varying(300), "kind" character varying(16) NOT NULL, "standby" boolean NOT NULL DEFAULT false, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "payload" jsonb NOT NULL, "status" character varying(12) NOT NULL, "note" text, "received_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_messenger_inbox" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_messenger_inbox_contact_pending" ON "messenger_inbox" ("page_id", "sender_key", "occurred_at", "id") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_messenger_inbox_pending" ON "messenger_inbox" ("received_at", "id") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_messenger_inbox_dedupe" ON "messenger_inbox" ("dedupe_key") `,
    );
    await queryRunner.query(
      `CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "channel" character varying(20) NOT NULL, "started_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_inbound_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "handed_over" boolean NOT NULL DEFAULT false, "handed_over_at" TIMESTAMP(3) WITH TIME ZONE, "handover_note" character varying(500), "first_referral_id" uuid, "last_referral_id" uuid, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_conversations" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conversations_bot_inbound" ON "conversations" ("bot_id", "last_inbound_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_conversations_contact" ON "conversations" ("contact_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "replies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "channel" character varying(20) NOT NULL, "status" character varying(12) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_replies" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_replies_pending" ON "replies" ("created_at") WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE TABLE "messages" ("id" BIGSERIAL NOT NULL, "bot_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "direction" character varying(3) NOT NULL, "reply_id" uuid, "position" smallint, "kind" character varying(20) NOT NULL, "text" text, "payload" jsonb NOT NULL, "status" character varying(12) NOT NULL, "external_id" character varying(255), "error_code" integer, "error_subcode" integer, "error_message" text, "attempts" smallint NOT NULL DEFAULT '0', "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "sent_at" TIMESTAMP(3) WITH TIME ZONE, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_messages" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_messages_reply" ON "messages" ("reply_id", "position") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_messages_conversation" ON "messages" ("conversation_id", "id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "fk_conversations_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "fk_conversations_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "replies" ADD CONSTRAINT "fk_replies_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "fk_messages_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "messages" ADD CONSTRAINT "fk_messages_reply" FOREIGN KEY ("reply_id") REFERENCES "replies"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "fk_messages_reply"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "fk_messages_conversation"`);
    await queryRunner.query(`ALTER TABLE "replies" DROP CONSTRAINT "fk_replies_conversation"`);
    await queryRunner.query(
      `ALTER TABLE "conversations" DROP CONSTRAINT "fk_conversations_contact"`,
    );
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "fk_conversations_bot"`);
    await queryRunner.query(
      `ALTER TABLE "referral_entries" DROP CONSTRAINT "fk_referral_entries_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" DROP CONSTRAINT "fk_referral_entries_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_entries" DROP CONSTRAINT "fk_referral_entries_bot"`,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_messages_conversation"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messages_reply"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."ix_replies_pending"`);
    await queryRunner.query(`DROP TABLE "replies"`);
    await queryRunner.query(`DROP INDEX "public"."uq_conversations_contact"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conversations_bot_inbound"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
    await queryRunner.query(`DROP INDEX "public"."uq_messenger_inbox_dedupe"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messenger_inbox_pending"`);
    await queryRunner.query(`DROP INDEX "public"."ix_messenger_inbox_contact_pending"`);
    await queryRunner.query(`DROP TABLE "messenger_inbox"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_entries_referral_time"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_entries_bot_time"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_entries_contact"`);
    await queryRunner.query(`DROP TABLE "referral_entries"`);
  }
}
