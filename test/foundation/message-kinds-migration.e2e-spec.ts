import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { dataSourceOptions } from '../../src/database';
import { ensureDatabase } from '../../src/database/ensure-database';
import { runMigrations } from '../../src/database/run-migrations';
import { dropDatabase, testEnv, uniqueName } from '../support/test-app';

/** `messages.kind` split into `event_kind` (inbound) and `content_type` (outbound). */
describe('Migration MessageEventKindContentType', () => {
  const databaseName = uniqueName('bp_test_mig');
  let dataSource: DataSource;
  let conversationId: string;
  let botId: string;

  const one = async (sql: string, params: unknown[] = []): Promise<{ id: string }> =>
    (await dataSource.query<{ id: string }[]>(sql, params))[0];

  beforeAll(async () => {
    const config = loadConfig(testEnv(databaseName));
    await ensureDatabase(config.databaseUrl);
    dataSource = await new DataSource(dataSourceOptions(config)).initialize();
    await runMigrations(dataSource);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseName);
  });

  it("backfills each row's column from kind by its direction", async () => {
    const latest = async (): Promise<string> =>
      (
        await dataSource.query<{ name: string }[]>(
          'SELECT name FROM migrations ORDER BY id DESC LIMIT 1',
        )
      )[0].name;
    // Back to just before this migration: the later ones are undone first, and all applied again.
    for (
      let undone = 0;
      (await latest()) !== 'MessageEventKindContentType1796550000000';
      undone++
    ) {
      expect(undone).toBeLessThan(20);
      await dataSource.undoLastMigration();
    }
    await dataSource.undoLastMigration();
    botId = (
      await one(
        `INSERT INTO bots (name, widget_key, welcome) VALUES ('Kinds', 'wk_kinds', '{"messages":[]}') RETURNING id`,
      )
    ).id;
    const contact = await one(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       VALUES ($1, 'messenger', 'psid-kinds', 'psid', now(), now()) RETURNING id`,
      [botId],
    );
    conversationId = (
      await one(
        `INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
         VALUES ($1, $2, 'messenger', now(), now()) RETURNING id`,
        [botId, contact.id],
      )
    ).id;
    await dataSource.query(
      `INSERT INTO messages (bot_id, conversation_id, direction, kind, payload, status, occurred_at)
       VALUES ($1, $2, 'in', 'quickReply', '{}', 'received', now()),
              ($1, $2, 'out', 'image', '{}', 'sent', now())`,
      [botId, conversationId],
    );
    await runMigrations(dataSource);
    const rows = await dataSource.query<unknown[]>(
      `SELECT direction, event_kind AS "eventKind", content_type AS "contentType" FROM messages
        WHERE conversation_id = $1 ORDER BY id`,
      [conversationId],
    );
    expect(rows).toEqual([
      { direction: 'in', eventKind: 'quickReply', contentType: null },
      { direction: 'out', eventKind: null, contentType: 'image' },
    ]);
  });

  it.each([
    ['an inbound row with a content type', 'in', 'text', 'text'],
    ['an inbound row without an event kind', 'in', null, null],
    ['an outbound row with an event kind', 'out', 'text', 'text'],
    ['an outbound row without a content type', 'out', null, null],
  ])('refuses %s', async (_case, direction, eventKind, contentType) => {
    await expect(
      dataSource.query(
        `INSERT INTO messages (bot_id, conversation_id, direction, event_kind, content_type, payload, status, occurred_at)
         VALUES ($1, $2, $3, $4, $5, '{}', 'received', now())`,
        [botId, conversationId, direction, eventKind, contentType],
      ),
    ).rejects.toThrow(/ck_messages_kind_by_direction/);
  });
});
