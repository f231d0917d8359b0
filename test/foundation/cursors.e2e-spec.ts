import { createBot } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

/** A cursor in the API's own encoding, with whatever position a client cares to put in it. */
function forge(createdAt: unknown, id: unknown): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

const SOME_UUID = '0b8e2a52-6a55-4c7e-9d1a-3f0f5f3f7c11';
const OUT_OF_RANGE_DATES = ['-005000-01-01T00:00:00.000Z', '+099999-01-01T00:00:00.000Z'];

describe('Forged pagination cursors', () => {
  let t: TestApp;
  let messagesPath: string;

  beforeAll(async () => {
    t = await startTestApp();
    const botId = (await createBot(t.admin, 'Cursor bot')).id;
    // A conversation with a few logged messages; messages page by a bigint id.
    const contact = await t.db.query<{ id: string }>(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       VALUES ($1, 'messenger', 'psid-cursor', 'psid', now(), now()) RETURNING id`,
      [botId],
    );
    const conversation = await t.db.query<{ id: string }>(
      `INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
       VALUES ($1, $2, 'messenger', now(), now()) RETURNING id`,
      [botId, contact.rows[0].id],
    );
    for (let i = 0; i < 3; i++) {
      await t.db.query(
        `INSERT INTO messages (bot_id, conversation_id, direction, event_kind, text, payload, status, occurred_at)
         VALUES ($1, $2, 'in', 'text', $3, '{}', 'received', now())`,
        [botId, conversation.rows[0].id, `message ${i}`],
      );
    }
    messagesPath = `/api/v1/bots/${botId}/conversations/${conversation.rows[0].id}/messages`;
  });
  afterAll(() => t.close());

  const expectRefused = async (path: string, cursor: string): Promise<void> => {
    const response = await t.admin.get(`${path}?cursor=${cursor}`);
    expect({ cursor, status: response.status }).toEqual({ cursor, status: 400 });
    expect(response.body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      details: [{ field: 'cursor', messages: ['is not a cursor this API returned'] }],
    });
  };

  it('pages messages by their bigint id with the cursors the API returns', async () => {
    const texts: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { status: number; body: any } = await t.admin.get(
        `${messagesPath}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.status).toBe(200);
      texts.push(...response.body.items.map((m: { text: string }) => m.text));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(texts).toEqual(['message 2', 'message 1', 'message 0']);
  });

  it('refuses a uuid-paged list cursor whose id is not a uuid, or whose date is out of range', async () => {
    const now = new Date().toISOString();
    for (const id of ['x', '12', 42, null]) await expectRefused('/api/v1/bots', forge(now, id));
    for (const date of [...OUT_OF_RANGE_DATES, 1700000000000]) {
      await expectRefused('/api/v1/bots', forge(date, SOME_UUID));
    }
  });

  it('refuses a bigint-paged list cursor whose id is not a bigint, or whose date is out of range', async () => {
    const now = new Date().toISOString();
    for (const id of [SOME_UUID, 'x', '-1', '1.5', '9223372036854775808', 7]) {
      await expectRefused(messagesPath, forge(now, id));
    }
    for (const date of OUT_OF_RANGE_DATES) await expectRefused(messagesPath, forge(date, '1'));
  });
});
