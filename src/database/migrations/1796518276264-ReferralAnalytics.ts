import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Referral analytics: tracked-link clicks, the funnel rollups and their first-seen sets, and
 * monthly partitions for clicks and entries (see docs/ANALYTICS.md).
 *
 * The existing `referral_entries` becomes a partitioned table without losing a row: the old table
 * is renamed, a partitioned one takes its name, its sequence and its constraint names, every row is
 * copied (ids kept), and the old table dropped, all in this migration's transaction. The rollups
 * of the copied entries are built from them, so their entries and contacts show in the stats.
 */

/** Creates the monthly partitions of `table` from the month of `fromSql` to two months after now. */
async function createMonthlyPartitions(
  queryRunner: QueryRunner,
  table: string,
  fromSql: string,
): Promise<void> {
  await queryRunner.query(`
    DO $$
    DECLARE
      month timestamptz := date_trunc('month', LEAST(${fromSql}, now()) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      last timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '2 months';
    BEGIN
      WHILE month <= last LOOP
        EXECUTE format(
          'CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
          '${table}_p' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM'), '${table}',
          month, month + interval '1 month');
        month := month + interval '1 month';
      END LOOP;
    END $$`);
}

/** The indexes and foreign keys of referral_entries, named as before partitioning. */
async function createEntryIndexesAndKeys(q: (sql: string) => Promise<unknown>): Promise<void> {
  await q(
    `CREATE INDEX "ix_referral_entries_contact" ON "referral_entries" ("contact_id", "occurred_at") `,
  );
  await q(
    `CREATE INDEX "ix_referral_entries_bot_time" ON "referral_entries" ("bot_id", "occurred_at") `,
  );
  await q(
    `CREATE INDEX "ix_referral_entries_referral_time" ON "referral_entries" ("referral_id", "occurred_at") `,
  );
  await q(
    `CREATE INDEX "ix_referral_entries_conversation" ON "referral_entries" ("conversation_id") WHERE conversation_id IS NOT NULL`,
  );
  await q(
    `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
  );
  await q(
    `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
  );
  await q(
    `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
  );
  await q(
    `ALTER TABLE "referral_entries" ADD CONSTRAINT "fk_referral_entries_conversation" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
  );
}

async function partitionEntriesByMonth(queryRunner: QueryRunner): Promise<void> {
  const q = (sql: string): Promise<unknown> => queryRunner.query(sql);
  await q(`LOCK TABLE "referral_entries" IN ACCESS EXCLUSIVE MODE`);
  await q(`ALTER TABLE "referral_entries" RENAME TO "referral_entries_unpartitioned"`);
  for (const name of [
    'pk_referral_entries',
    'fk_referral_entries_bot',
    'fk_referral_entries_referral',
    'fk_referral_entries_contact',
    'fk_referral_entries_conversation',
  ]) {
    await q(
      `ALTER TABLE "referral_entries_unpartitioned" RENAME CONSTRAINT "${name}" TO "${name}_unpartitioned"`,
    );
  }
  for (const name of [
    'ix_referral_entries_contact',
    'ix_referral_entries_bot_time',
    'ix_referral_entries_referral_time',
    'ix_referral_entries_conversation',
  ]) {
    await q(`ALTER INDEX "${name}" RENAME TO "${name}_unpartitioned"`);
  }
  await q(`ALTER SEQUENCE "referral_entries_id_seq" OWNED BY NONE`);
  await q(
    `CREATE TABLE "referral_entries" ("id" bigint NOT NULL DEFAULT nextval('referral_entries_id_seq'), "bot_id" uuid NOT NULL, "referral_id" uuid, "raw_ref" character varying(2100), "source" character varying(100), "channel" character varying(20) NOT NULL, "contact_id" uuid NOT NULL, "conversation_id" uuid, "is_new_contact" boolean NOT NULL, "ad_id" character varying(100), "ads_context" jsonb, "referer_uri" text, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_referral_entries" PRIMARY KEY ("id", "occurred_at")) PARTITION BY RANGE ("occurred_at")`,
  );
  await q(`ALTER SEQUENCE "referral_entries_id_seq" OWNED BY "referral_entries"."id"`);
  await q(`CREATE TABLE "referral_entries_default" PARTITION OF "referral_entries" DEFAULT`);
  await createMonthlyPartitions(
    queryRunner,
    'referral_entries',
    `(SELECT coalesce(min(occurred_at), now()) FROM "referral_entries_unpartitioned")`,
  );
  await createEntryIndexesAndKeys(q);
  await q(`INSERT INTO "referral_entries" (${ENTRY_COLUMNS})
           SELECT ${ENTRY_COLUMNS} FROM "referral_entries_unpartitioned"`);
  await q(`DROP TABLE "referral_entries_unpartitioned"`);
}

const ENTRY_COLUMNS = `"id", "bot_id", "referral_id", "raw_ref", "source", "channel", "contact_id",
  "conversation_id", "is_new_contact", "ad_id", "ads_context", "referer_uri", "occurred_at", "created_at"`;

/** The rollups and first-seen contacts of the entries recorded before this migration. */
async function backfillRollups(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    INSERT INTO referral_contacts (referral_id, contact_id, bot_id, first_entered_at, last_entered_at,
                                   source, channel, ad_id)
    SELECT DISTINCT ON (referral_id, contact_id) referral_id, contact_id, bot_id, occurred_at,
           max(occurred_at) OVER (PARTITION BY referral_id, contact_id),
           coalesce(source, ''), channel, coalesce(ad_id, '')
      FROM referral_entries WHERE referral_id IS NOT NULL
     ORDER BY referral_id, contact_id, occurred_at, id`);
  await queryRunner.query(`
    WITH e AS (
      SELECT *, row_number() OVER (PARTITION BY referral_id, contact_id ORDER BY occurred_at, id) AS n
        FROM referral_entries WHERE referral_id IS NOT NULL
    )
    INSERT INTO referral_stats (referral_id, bucket, source, channel, ad_id, bot_id, entries,
                                unique_contacts, new_contacts, returning_contacts)
    SELECT referral_id, date_bin('15 minutes', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
           coalesce(source, ''), channel, coalesce(ad_id, ''), bot_id, count(*),
           count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n = 1 AND is_new_contact),
           count(*) FILTER (WHERE n = 1 AND NOT is_new_contact)
      FROM e GROUP BY 1, 2, 3, 4, 5, 6`);
  // Each bucket's total row (source, channel and ad '*'): what series and totals read.
  await queryRunner.query(`
    INSERT INTO referral_stats (referral_id, bucket, source, channel, ad_id, bot_id, entries,
                                unique_contacts, new_contacts, returning_contacts)
    SELECT referral_id, bucket, '*', '*', '*', bot_id, sum(entries), sum(unique_contacts),
           sum(new_contacts), sum(returning_contacts)
      FROM referral_stats GROUP BY referral_id, bucket, bot_id`);
  await queryRunner.query(`
    INSERT INTO referral_ads (bot_id, ad_id, title)
    SELECT DISTINCT ON (bot_id, ad_id) bot_id, ad_id, ads_context->>'ad_title'
      FROM referral_entries WHERE ad_id IS NOT NULL ORDER BY bot_id, ad_id, occurred_at DESC`);
}

/** Back to one plain table, every row kept. */
async function unpartitionEntries(queryRunner: QueryRunner): Promise<void> {
  const q = (sql: string): Promise<unknown> => queryRunner.query(sql);
  await q(`ALTER TABLE "referral_entries" RENAME TO "referral_entries_partitioned"`);
  await q(`ALTER SEQUENCE "referral_entries_id_seq" OWNED BY NONE`);
  for (const name of [
    'pk_referral_entries',
    'fk_referral_entries_bot',
    'fk_referral_entries_referral',
    'fk_referral_entries_contact',
    'fk_referral_entries_conversation',
  ]) {
    await q(`ALTER TABLE "referral_entries_partitioned" DROP CONSTRAINT "${name}"`);
  }
  for (const name of [
    'ix_referral_entries_contact',
    'ix_referral_entries_bot_time',
    'ix_referral_entries_referral_time',
    'ix_referral_entries_conversation',
  ]) {
    await q(`DROP INDEX "${name}"`);
  }
  await q(
    `CREATE TABLE "referral_entries" (LIKE "referral_entries_partitioned" INCLUDING DEFAULTS)`,
  );
  await q(`ALTER SEQUENCE "referral_entries_id_seq" OWNED BY "referral_entries"."id"`);
  await q(`INSERT INTO "referral_entries" SELECT * FROM "referral_entries_partitioned"`);
  await q(`DROP TABLE "referral_entries_partitioned"`);
  await q(`ALTER TABLE "referral_entries" ADD CONSTRAINT "pk_referral_entries" PRIMARY KEY ("id")`);
  await createEntryIndexesAndKeys(q);
}

export class ReferralAnalytics1796518276264 implements MigrationInterface {
  name = 'ReferralAnalytics1796518276264';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "referral_stats" ("referral_id" uuid NOT NULL, "bucket" TIMESTAMP WITH TIME ZONE NOT NULL, "source" character varying(100) NOT NULL, "channel" character varying(20) NOT NULL, "ad_id" character varying(100) NOT NULL, "bot_id" uuid NOT NULL, "clicks" integer NOT NULL DEFAULT '0', "unique_clicks" integer NOT NULL DEFAULT '0', "bot_clicks" integer NOT NULL DEFAULT '0', "entries" integer NOT NULL DEFAULT '0', "unique_contacts" integer NOT NULL DEFAULT '0', "new_contacts" integer NOT NULL DEFAULT '0', "returning_contacts" integer NOT NULL DEFAULT '0', "answers_sent" integer NOT NULL DEFAULT '0', "answers_delivered" integer NOT NULL DEFAULT '0', "answers_read" integer NOT NULL DEFAULT '0', "engaged_contacts" integer NOT NULL DEFAULT '0', CONSTRAINT "pk_referral_stats" PRIMARY KEY ("referral_id", "bucket", "source", "channel", "ad_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_stats_bot_bucket" ON "referral_stats" ("bot_id", "bucket") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_contacts" ("referral_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "bot_id" uuid NOT NULL, "first_entered_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_entered_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "engaged_at" TIMESTAMP(3) WITH TIME ZONE, "source" character varying(100) NOT NULL DEFAULT '', "channel" character varying(20) NOT NULL, "ad_id" character varying(100) NOT NULL DEFAULT '', CONSTRAINT "pk_referral_contacts" PRIMARY KEY ("referral_id", "contact_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_contacts_bot" ON "referral_contacts" ("bot_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_contacts_contact" ON "referral_contacts" ("contact_id", "last_entered_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_clickers" ("referral_id" uuid NOT NULL, "clicker" bytea NOT NULL, "first_clicked_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "pk_referral_clickers" PRIMARY KEY ("referral_id", "clicker"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_clickers_first" ON "referral_clickers" ("first_clicked_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_clicks" ("id" BIGSERIAL NOT NULL, "clicked_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "bot_id" uuid NOT NULL, "referral_id" uuid, "tracking_param" character varying(100) NOT NULL, "clicker" bytea NOT NULL, "is_bot" boolean NOT NULL, "target" character varying(10) NOT NULL, CONSTRAINT "pk_referral_clicks" PRIMARY KEY ("id", "clicked_at")) PARTITION BY RANGE ("clicked_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_clicks_bot_time" ON "referral_clicks" ("bot_id", "clicked_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_clicks_referral_time" ON "referral_clicks" ("referral_id", "clicked_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_answers" ("reply_id" uuid NOT NULL, "bot_id" uuid NOT NULL, "referral_id" uuid NOT NULL, "contact_id" uuid NOT NULL, "entry_id" bigint NOT NULL, "entered_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "source" character varying(100) NOT NULL DEFAULT '', "channel" character varying(20) NOT NULL, "ad_id" character varying(100) NOT NULL DEFAULT '', "sent_at" TIMESTAMP(3) WITH TIME ZONE, "delivered_at" TIMESTAMP(3) WITH TIME ZONE, "read_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_referral_answers" PRIMARY KEY ("reply_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_answers_bot" ON "referral_answers" ("bot_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_answers_referral" ON "referral_answers" ("referral_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_answers_unread" ON "referral_answers" ("contact_id", "sent_at") WHERE read_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_ads" ("bot_id" uuid NOT NULL, "ad_id" character varying(100) NOT NULL, "title" text, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_referral_ads" PRIMARY KEY ("bot_id", "ad_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_stats" ADD CONSTRAINT "fk_referral_stats_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_stats" ADD CONSTRAINT "fk_referral_stats_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" ADD CONSTRAINT "fk_referral_contacts_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" ADD CONSTRAINT "fk_referral_contacts_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" ADD CONSTRAINT "fk_referral_contacts_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clickers" ADD CONSTRAINT "fk_referral_clickers_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clicks" ADD CONSTRAINT "fk_referral_clicks_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clicks" ADD CONSTRAINT "fk_referral_clicks_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_answers" ADD CONSTRAINT "fk_referral_answers_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_answers" ADD CONSTRAINT "fk_referral_answers_referral" FOREIGN KEY ("referral_id") REFERENCES "referrals"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_answers" ADD CONSTRAINT "fk_referral_answers_contact" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_ads" ADD CONSTRAINT "fk_referral_ads_bot" FOREIGN KEY ("bot_id") REFERENCES "bots"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_clicks_default" PARTITION OF "referral_clicks" DEFAULT`,
    );
    await queryRunner.query(
      `CREATE TABLE "referral_click_batches" ("id" uuid NOT NULL, "written_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_referral_click_batches" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_referral_click_batches_written" ON "referral_click_batches" ("written_at") `,
    );
    await partitionEntriesByMonth(queryRunner);
    await createMonthlyPartitions(queryRunner, 'referral_clicks', `now()`);
    await backfillRollups(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await unpartitionEntries(queryRunner);
    await queryRunner.query(`DROP TABLE "referral_click_batches"`);
    await queryRunner.query(`ALTER TABLE "referral_ads" DROP CONSTRAINT "fk_referral_ads_bot"`);
    await queryRunner.query(
      `ALTER TABLE "referral_answers" DROP CONSTRAINT "fk_referral_answers_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_answers" DROP CONSTRAINT "fk_referral_answers_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_answers" DROP CONSTRAINT "fk_referral_answers_bot"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clicks" DROP CONSTRAINT "fk_referral_clicks_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clicks" DROP CONSTRAINT "fk_referral_clicks_bot"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_clickers" DROP CONSTRAINT "fk_referral_clickers_referral"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" DROP CONSTRAINT "fk_referral_contacts_bot"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" DROP CONSTRAINT "fk_referral_contacts_contact"`,
    );
    await queryRunner.query(
      `ALTER TABLE "referral_contacts" DROP CONSTRAINT "fk_referral_contacts_referral"`,
    );
    await queryRunner.query(`ALTER TABLE "referral_stats" DROP CONSTRAINT "fk_referral_stats_bot"`);
    await queryRunner.query(
      `ALTER TABLE "referral_stats" DROP CONSTRAINT "fk_referral_stats_referral"`,
    );
    await queryRunner.query(`DROP TABLE "referral_ads"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_answers_unread"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_answers_referral"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_answers_bot"`);
    await queryRunner.query(`DROP TABLE "referral_answers"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_clicks_referral_time"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_clicks_bot_time"`);
    await queryRunner.query(`DROP TABLE "referral_clicks"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_clickers_first"`);
    await queryRunner.query(`DROP TABLE "referral_clickers"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_contacts_contact"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_contacts_bot"`);
    await queryRunner.query(`DROP TABLE "referral_contacts"`);
    await queryRunner.query(`DROP INDEX "public"."ix_referral_stats_bot_bucket"`);
    await queryRunner.query(`DROP TABLE "referral_stats"`);
  }
}
