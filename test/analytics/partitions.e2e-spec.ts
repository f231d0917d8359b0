import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database';
import { ensureDatabase } from '../../src/database/ensure-database';
import { runMigrations } from '../../src/database/run-migrations';
import { ReferralPartitionsTask } from '../../src/referrals/partitions.task';
import { dropDatabase, testEnv, uniqueName } from '../support/test-app';

describe('Monthly partitions of referral entries and clicks', () => {
  const databaseName = uniqueName('bp_test_part');
  let db: DataSource;
  const one = async <T = any>(sql: string, params: unknown[] = []): Promise<T> =>
    (await db.query<T[]>(sql, params))[0];

  beforeAll(async () => {
    const config = loadConfig(testEnv(databaseName));
    await ensureDatabase(config.databaseUrl);
    db = await new DataSource(dataSourceOptions(config)).initialize();
    await runMigrations(db);
  });
  afterAll(async () => {
    await db.destroy();
    await dropDatabase(databaseName);
  });

  it('partitions a referral_entries table that already holds entries without losing one, and builds their rollups', async () => {
    // Back to the table as it was, with entries in it: undo migrations down to and including the
    // one that partitions it (later ones, of other features, come back with runMigrations below).
    const applied = async (): Promise<boolean> =>
      (
        await one<{ n: number }>(
          `SELECT count(*)::int AS n FROM migrations WHERE name LIKE 'ReferralAnalytics%'`,
        )
      ).n > 0;
    while (await applied()) await db.undoLastMigration({ transaction: 'each' });
    expect(await one(`SELECT relkind FROM pg_class WHERE relname = 'referral_entries'`)).toEqual({
      relkind: 'r',
    });
    const bot = await one(
      `INSERT INTO bots (name, widget_key, welcome) VALUES ('P', 'wk_part', '{"messages":[]}') RETURNING id`,
    );
    const segment = await one(`INSERT INTO segments (bot_id, name) VALUES ($1, 'S') RETURNING id`, [
      bot.id,
    ]);
    const referral = await one(
      `INSERT INTO referrals (bot_id, tracking_param, answer_type, content, segment_id)
       VALUES ($1, 'old', 'message', '{"messages":[]}', $2) RETURNING id`,
      [bot.id, segment.id],
    );
    await db.query(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       SELECT $1, 'messenger', 'p' || g, 'psid', now(), now() FROM generate_series(1, 3) g`,
      [bot.id],
    );
    await db.query(
      `INSERT INTO referral_entries (bot_id, referral_id, channel, contact_id, is_new_contact, occurred_at, source, ad_id, ads_context)
       SELECT $1, CASE WHEN g < 5 THEN $2::uuid END, 'messenger', c.id, g = 4,
              now() - (g * interval '40 days'), 'SHORTLINK', NULL, NULL
         FROM generate_series(1, 5) g JOIN LATERAL (SELECT id FROM contacts ORDER BY external_id LIMIT 1 OFFSET (g % 3)) c ON true`,
      [bot.id, referral.id],
    );
    const before = await db.query(`SELECT * FROM referral_entries ORDER BY id`);
    await runMigrations(db);
    expect(await one(`SELECT relkind FROM pg_class WHERE relname = 'referral_entries'`)).toEqual({
      relkind: 'p',
    });
    const after = await db.query(`SELECT * FROM referral_entries ORDER BY id`);
    expect(after).toEqual(before);
    // Old months got partitions of their own; ids go on from where they were.
    const { n } = await one(
      `SELECT count(DISTINCT tableoid)::int AS n FROM referral_entries WHERE tableoid <> 'referral_entries_default'::regclass`,
    );
    expect(n).toBe(5);
    const next = await one(
      `INSERT INTO referral_entries (bot_id, channel, contact_id, is_new_contact, occurred_at)
       SELECT bot_id, channel, contact_id, false, now() FROM referral_entries LIMIT 1 RETURNING id`,
    );
    expect(Number(next.id)).toBeGreaterThan(
      Math.max(...before.map((e: { id: string }) => Number(e.id))),
    );
    const totals = await one(
      `SELECT sum(entries)::int AS entries, sum(unique_contacts)::int AS "uniqueContacts",
              sum(new_contacts)::int AS "newContacts", sum(returning_contacts)::int AS "returningContacts"
         FROM referral_stats WHERE referral_id = $1 AND channel = '*'`,
      [referral.id],
    );
    // Entries 1-4 are the referral's, of contacts p2, p3, p1, p2: three distinct; the oldest (4, p2) was new.
    expect(totals).toEqual({ entries: 4, uniqueContacts: 3, newContacts: 1, returningContacts: 2 });
    const { dims } = await one(
      `SELECT sum(entries)::int AS dims FROM referral_stats WHERE referral_id = $1 AND channel <> '*'`,
      [referral.id],
    );
    expect(dims).toBe(4);
  });

  it('creates the months ahead, puts rows in their month, and lets an old month go whole', async () => {
    const worker = new ReferralPartitionsTask(db);
    const inFiveMonths = new Date(Date.now() + 150 * 24 * 3600_000);
    const created = await worker.createAhead(inFiveMonths);
    expect(created.length).toBeGreaterThan(0);
    expect(await worker.createAhead(inFiveMonths)).toEqual([]);
    const bot = await one(`SELECT id FROM bots LIMIT 1`);
    const at = new Date(Date.UTC(inFiveMonths.getUTCFullYear(), inFiveMonths.getUTCMonth(), 15));
    await db.query(
      `INSERT INTO referral_clicks (bot_id, tracking_param, clicked_at, clicker, is_bot, target)
       VALUES ($1, 'x', $2, '\\x00', false, 'widget')`,
      [bot.id, at],
    );
    const mm = String(at.getUTCMonth() + 1).padStart(2, '0');
    const name = `referral_clicks_p${at.getUTCFullYear()}_${mm}`;
    expect(await one(`SELECT tableoid::regclass::text AS t FROM referral_clicks`)).toEqual({
      t: name,
    });
    await db.query(`ALTER TABLE referral_clicks DETACH PARTITION "${name}"`);
    await db.query(`DROP TABLE "${name}"`);
    expect(await one(`SELECT count(*)::int AS n FROM referral_clicks`)).toEqual({ n: 0 });
  });

  it('forgets clicker hashes once they can no longer match', async () => {
    const referral = await one(`SELECT id FROM referrals LIMIT 1`);
    await db.query(
      `INSERT INTO referral_clickers (referral_id, clicker, first_clicked_at)
       VALUES ($1, '\\x01', now() - interval '3 days'), ($1, '\\x02', now() - interval '1 hour')`,
      [referral.id],
    );
    expect(await new ReferralPartitionsTask(db).purgeClickers()).toBe(1);
    await db.query(
      `INSERT INTO referral_click_batches (id, written_at)
       VALUES (gen_random_uuid(), now() - interval '2 days'), (gen_random_uuid(), now())`,
    );
    expect(await new ReferralPartitionsTask(db).purgeClickBatches()).toBe(1);
    expect(await db.query(`SELECT encode(clicker, 'hex') AS c FROM referral_clickers`)).toEqual([
      { c: '02' },
    ]);
  });
});
