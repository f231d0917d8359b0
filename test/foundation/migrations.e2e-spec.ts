import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database';
import { ensureDatabase } from '../../src/database/ensure-database';
import { runMigrations } from '../../src/database/run-migrations';
import { dropDatabase, testEnv, uniqueName } from '../support/test-app';

describe('Migrations', () => {
  const databaseName = uniqueName('bp_test_mig');
  let dataSource: DataSource;

  beforeAll(async () => {
    const config = loadConfig(testEnv(databaseName));
    expect(await ensureDatabase(config.databaseUrl)).toBe(true);
    expect(await ensureDatabase(config.databaseUrl)).toBe(false);
    dataSource = await new DataSource(dataSourceOptions(config)).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseName);
  });

  it('apply once, even when two processes start together', async () => {
    const [first, second] = await Promise.all([
      runMigrations(dataSource),
      runMigrations(dataSource),
    ]);
    expect([...first, ...second].sort()).toEqual(dataSource.migrations.map((m) => m.name).sort());
  });

  it('leave nothing for the entities to change (no drift between entities and migrations)', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('make references of deleted rows null, and let a bot go with everything it has', async () => {
    const one = async (sql: string, params: unknown[] = []): Promise<{ id: string }> =>
      (await dataSource.query<{ id: string }[]>(sql, params))[0];
    const value = async (sql: string, params: unknown[]): Promise<unknown> =>
      (await dataSource.query<{ v: unknown }[]>(sql, params))[0]?.v;
    const bot = await one(
      `INSERT INTO bots (name, widget_key, welcome) VALUES ('FK bot', 'wk_fk_test', '{"messages":[]}') RETURNING id`,
    );
    const newModule = (): Promise<{ id: string }> =>
      one(
        `INSERT INTO module_instances (bot_id, name, type, config) VALUES ($1, 'M', 'message', '{}') RETURNING id`,
        [bot.id],
      );
    const fallback = await newModule();
    await dataSource.query('UPDATE bots SET fallback_module_id = $1 WHERE id = $2', [
      fallback.id,
      bot.id,
    ]);
    const segment = await one(`INSERT INTO segments (bot_id, name) VALUES ($1, 'S') RETURNING id`, [
      bot.id,
    ]);
    const referral = await one(
      `INSERT INTO referrals (bot_id, tracking_param, answer_type, content, segment_id)
       VALUES ($1, 'fk', 'message', '{"messages":[]}', $2) RETURNING id`,
      [bot.id, segment.id],
    );
    const contact = await one(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       VALUES ($1, 'messenger', 'psid-fk', 'psid', now(), now()) RETURNING id`,
      [bot.id],
    );
    const conversation = await one(
      `INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at, first_referral_id, last_referral_id)
       VALUES ($1, $2, 'messenger', now(), now(), $3, $3) RETURNING id`,
      [bot.id, contact.id, referral.id],
    );
    const entry = await one(
      `INSERT INTO referral_entries (bot_id, channel, contact_id, conversation_id, is_new_contact, occurred_at)
       VALUES ($1, 'messenger', $2, $3, true, now()) RETURNING id`,
      [bot.id, contact.id, conversation.id],
    );
    await dataSource.query(
      `INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at, referral_id)
       VALUES ($1, $2, $3, now(), $4)`,
      [segment.id, contact.id, bot.id, referral.id],
    );
    await dataSource.query(
      `INSERT INTO replies (bot_id, conversation_id, channel, status) VALUES ($1, $2, 'messenger', 'sent')`,
      [bot.id, conversation.id],
    );

    const nowhere = '00000000-0000-4000-8000-000000000000';
    for (const [table, column, botColumn] of [
      ['bots', 'fallback_module_id', 'id'],
      ['segment_members', 'referral_id', 'bot_id'],
      ['referral_entries', 'conversation_id', 'bot_id'],
      ['conversations', 'first_referral_id', 'bot_id'],
      ['conversations', 'last_referral_id', 'bot_id'],
    ]) {
      await expect(
        dataSource.query(`UPDATE ${table} SET ${column} = $1 WHERE ${botColumn} = $2`, [
          nowhere,
          bot.id,
        ]),
      ).rejects.toMatchObject({ driverError: { code: '23503' } });
    }

    await dataSource.query('DELETE FROM module_instances WHERE id = $1', [fallback.id]);
    expect(
      await value('SELECT fallback_module_id AS v FROM bots WHERE id = $1', [bot.id]),
    ).toBeNull();
    await dataSource.query('DELETE FROM referrals WHERE id = $1', [referral.id]);
    expect(
      await dataSource.query(
        'SELECT first_referral_id, last_referral_id FROM conversations WHERE id = $1',
        [conversation.id],
      ),
    ).toEqual([{ first_referral_id: null, last_referral_id: null }]);
    expect(
      await value('SELECT referral_id AS v FROM segment_members WHERE contact_id = $1', [
        contact.id,
      ]),
    ).toBeNull();
    await dataSource.query('DELETE FROM conversations WHERE id = $1', [conversation.id]);
    expect(
      await value('SELECT conversation_id AS v FROM referral_entries WHERE id = $1', [entry.id]),
    ).toBeNull();

    // A contact's conversation, referral pairs, answers and identities go with the bot too.
    const kept = await one(
      `INSERT INTO referrals (bot_id, tracking_param, answer_type, content, segment_id)
       VALUES ($1, 'fk-kept', 'message', '{"messages":[]}', $2) RETURNING id`,
      [bot.id, segment.id],
    );
    await one(
      `INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
       VALUES ($1, $2, 'messenger', now(), now()) RETURNING id`,
      [bot.id, contact.id],
    );
    await dataSource.query(
      `INSERT INTO referral_contacts (referral_id, contact_id, bot_id, first_entered_at, last_entered_at, channel)
       VALUES ($1, $2, $3, now(), now(), 'messenger')`,
      [kept.id, contact.id, bot.id],
    );
    await dataSource.query(
      `INSERT INTO referral_answers (reply_id, bot_id, referral_id, contact_id, entry_id, entered_at, channel)
       VALUES (gen_random_uuid(), $1, $2, $3, 1, now(), 'messenger')`,
      [bot.id, kept.id, contact.id],
    );
    await dataSource.query(
      `INSERT INTO contact_identities (bot_id, contact_id, channel, external_id, external_id_kind)
       VALUES ($1, $2, 'messenger', 'psid-fk-2', 'psid')`,
      [bot.id, contact.id],
    );

    // The bot's cascade deletes the module its fallback points at: SET NULL must not get in the way.
    const ownFallback = await newModule();
    await dataSource.query('UPDATE bots SET fallback_module_id = $1 WHERE id = $2', [
      ownFallback.id,
      bot.id,
    ]);
    await dataSource.query('DELETE FROM bots WHERE id = $1', [bot.id]);
    for (const table of [
      'module_instances',
      'segments',
      'referrals',
      'contacts',
      'segment_members',
      'referral_entries',
      'conversations',
      'referral_contacts',
      'referral_answers',
      'contact_identities',
    ]) {
      expect({
        table,
        n: await value(`SELECT count(*)::int AS v FROM ${table} WHERE bot_id = $1`, [bot.id]),
      }).toEqual({ table, n: 0 });
    }
  });

  it('revert all the way down and apply again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration();
    const tables = await dataSource.query<{ n: number }[]>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'",
    );
    expect(tables[0].n).toBe(0);
    expect(await runMigrations(dataSource)).toHaveLength(dataSource.migrations.length);
  });
});
