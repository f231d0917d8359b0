import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** When each broadcast recipient's send started, and when Meta's watermarks covered it. */
export class BroadcastReceipts1796530137264 implements MigrationInterface {
  name = 'BroadcastReceipts1796530137264';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" ADD "sent_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" ADD "delivered_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
    await queryRunner.query(
      `ALTER TABLE "broadcast_recipients" ADD "read_at" TIMESTAMP(3) WITH TIME ZONE`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "broadcast_recipients" DROP COLUMN "read_at"`);
    await queryRunner.query(`ALTER TABLE "broadcast_recipients" DROP COLUMN "delivered_at"`);
    await queryRunner.query(`ALTER TABLE "broadcast_recipients" DROP COLUMN "sent_at"`);
  }
}
