import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** A page's own default `target_app_id` for Handover Protocol passes (null: the server's). */
export class PageHandoverApp1796540000000 implements MigrationInterface {
  name = 'PageHandoverApp1796540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "bot_messenger_connections" ADD "handover_app_id" character varying(32)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "bot_messenger_connections" DROP COLUMN "handover_app_id"`,
    );
  }
}
