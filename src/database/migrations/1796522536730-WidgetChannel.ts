import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class WidgetChannel1796522536730 implements MigrationInterface {
  name = 'WidgetChannel1796522536730';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "widget_sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "visitor_id" character varying(64) NOT NULL, "token_hash" character(64) NOT NULL, "site_user_id" character varying(255), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "pk_widget_sessions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_widget_sessions_bot_visitor" ON "widget_sessions" ("bot_id", "visitor_id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_widget_sessions_token_hash" ON "widget_sessions" ("token_hash") `,
    );
    await queryRunner.query(
      `CREATE TABLE "widget_messages" ("id" BIGSERIAL NOT NULL, "bot_id" uuid NOT NULL, "visitor_id" character varying(64) NOT NULL, "payload" jsonb NOT NULL, "sent_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_widget_messages" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_widget_messages_visitor" ON "widget_messages" ("bot_id", "visitor_id", "id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "bots" ADD "widget_allowed_origins" text array NOT NULL DEFAULT '{}'`,
    );
    await queryRunner.query(
      `ALTER TABLE "widget_sessions" ADD CONSTRAINT "fk_widget_sessions_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "widget_messages" ADD CONSTRAINT "fk_widget_messages_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "widget_messages" DROP CONSTRAINT "fk_widget_messages_bot"`,
    );
    await queryRunner.query(
      `ALTER TABLE "widget_sessions" DROP CONSTRAINT "fk_widget_sessions_bot"`,
    );
    await queryRunner.query(`ALTER TABLE "bots" DROP COLUMN "widget_allowed_origins"`);
    await queryRunner.query(`DROP INDEX "public"."ix_widget_messages_visitor"`);
    await queryRunner.query(`DROP TABLE "widget_messages"`);
    await queryRunner.query(`DROP INDEX "public"."uq_widget_sessions_token_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_widget_sessions_bot_visitor"`);
    await queryRunner.query(`DROP TABLE "widget_sessions"`);
  }
}
