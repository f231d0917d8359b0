import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class Foundation1795574199262 implements MigrationInterface {
  name = 'Foundation1795574199262';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "bots" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "widget_key" character varying(64) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_bots" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_bots_widget_key" ON "bots" ("widget_key") `);
    await queryRunner.query(`CREATE INDEX "ix_bots_created" ON "bots" ("created_at", "id") `);
    await queryRunner.query(
      `CREATE TABLE "bot_messenger_connections" ("bot_id" uuid NOT NULL, "page_id" character varying(32) NOT NULL, "page_username" character varying(100), "access_token_encrypted" text NOT NULL, "connected_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_bot_messenger_connections" PRIMARY KEY ("bot_id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_bot_messenger_connections_page" ON "bot_messenger_connections" ("page_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "bot_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "prefix" character varying(16) NOT NULL, "key_hash" character(64) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_hash" ON "api_keys" ("key_hash") `);
    await queryRunner.query(
      `CREATE INDEX "ix_api_keys_bot" ON "api_keys" ("bot_id", "created_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "bot_messenger_connections" ADD CONSTRAINT "fk_bot_messenger_connections_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_bot"`);
    await queryRunner.query(
      `ALTER TABLE "bot_messenger_connections" DROP CONSTRAINT "fk_bot_messenger_connections_bot"`,
    );
    await queryRunner.query(`DROP INDEX "public"."ix_api_keys_bot"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys_hash"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."uq_bot_messenger_connections_page"`);
    await queryRunner.query(`DROP TABLE "bot_messenger_connections"`);
    await queryRunner.query(`DROP INDEX "public"."ix_bots_created"`);
    await queryRunner.query(`DROP INDEX "public"."uq_bots_widget_key"`);
    await queryRunner.query(`DROP TABLE "bots"`);
  }
}
