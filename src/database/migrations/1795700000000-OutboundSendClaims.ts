import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The claim of the worker process sending an outbound message (status `sending`), and its time. */
export class OutboundSendClaims1795700000000 implements MigrationInterface {
  name = 'OutboundSendClaims1795700000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" ADD "sending_by" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "sending_at" TIMESTAMP(3) WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "messages" SET status = 'pending' WHERE status = 'sending'`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "sending_at"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "sending_by"`);
  }
}
