import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The sweeper's index of pending inbox items (`ix_messenger_inbox_pending`, by receive time) now
 * serves only statements that bound `received_at` (its predicate asks `received_at IS NOT NULL`,
 * which the sweeper's `received_at < …` implies). With the same predicate as the contact index
 * (`status = 'pending'` alone), the batch's pending read of each contact could be planned on it:
 * when the statistics last saw almost no pending item (a large inbox, then a burst), both indexes
 * looked like one row and the sweeper's won, so each contact's read scanned every pending item
 * (a 20,000-item burst on 500,000 handled items: 2.8 ms a contact instead of 0.1 ms).
 */
export class InboxSweepIndex1796560000000 implements MigrationInterface {
  name = 'InboxSweepIndex1796560000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_messenger_inbox_pending"`);
    await queryRunner.query(
      `CREATE INDEX "ix_messenger_inbox_pending" ON "messenger_inbox" ("received_at", "id") WHERE status = 'pending' AND received_at IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_messenger_inbox_pending"`);
    await queryRunner.query(
      `CREATE INDEX "ix_messenger_inbox_pending" ON "messenger_inbox" ("received_at", "id") WHERE status = 'pending'`,
    );
  }
}
