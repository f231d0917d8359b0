import { waitFor } from '../support/wait-for';
import { startTestApp, type TestApp } from '../support/test-app';

const PAGE_TOKEN = 'EAAGm0PX4ZCpsBA-secret-page-token-123456';

describe('Bots API', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates, reads, renames and deletes a bot', async () => {
    const created = await t.admin.post('/api/v1/bots', { name: '  Spring campaign  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Spring campaign',
      channels: { messenger: null, widget: { widgetKey: expect.stringMatching(/^wk_[\w-]{24}$/) } },
    });
    const id = created.body.id as string;

    const read = await t.admin.get(`/api/v1/bots/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const renamed = await t.admin.patch(`/api/v1/bots/${id}`, { name: 'Summer campaign' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Summer campaign');
    expect((await t.admin.get(`/api/v1/bots/${id}`)).body.name).toBe('Summer campaign');

    expect((await t.admin.delete(`/api/v1/bots/${id}`)).status).toBe(204);
    const gone = await t.admin.get(`/api/v1/bots/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('BOT_NOT_FOUND');
    expect((await t.admin.delete(`/api/v1/bots/${id}`)).status).toBe(404);
  });

  it('gives every bot its own unguessable widget key', async () => {
    const a = await t.admin.post('/api/v1/bots', { name: 'A' });
    const b = await t.admin.post('/api/v1/bots', { name: 'B' });
    expect(a.body.channels.widget.widgetKey).not.toBe(b.body.channels.widget.widgetKey);
  });

  it('rejects an empty or over-long name', async () => {
    for (const name of ['', '   ', 'x'.repeat(101), 42]) {
      const response = await t.admin.post('/api/v1/bots', { name });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details[0].field).toBe('name');
    }
  });

  it('lists bots newest first, page by page', async () => {
    const names = ['P1', 'P2', 'P3', 'P4', 'P5'];
    for (const name of names) await t.admin.post('/api/v1/bots', { name });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const page = await t.admin.get(`/api/v1/bots${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((bot: { name: string }) => bot.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    const ours = seen.filter((name) => names.includes(name));
    expect(ours).toEqual([...names].reverse());
    expect(new Set(seen).size).toBe(seen.length);

    const bad = await t.admin.get('/api/v1/bots?cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body.details[0].field).toBe('cursor');
    expect((await t.admin.get('/api/v1/bots?limit=0')).status).toBe(400);
    expect((await t.admin.get('/api/v1/bots?limit=101')).status).toBe(400);
  });

  describe('Messenger connection', () => {
    it('connects a page, never returns or logs the token, stores it encrypted, and disconnects', async () => {
      const bot = (await t.admin.post('/api/v1/bots', { name: 'With page' })).body;
      const connected = await t.admin.put(`/api/v1/bots/${bot.id}/channels/messenger`, {
        pageId: '1000001',
        pageUsername: 'acme.shoes',
        pageAccessToken: PAGE_TOKEN,
      });
      expect(connected.status).toBe(200);
      expect(connected.body.channels.messenger).toEqual({
        pageId: '1000001',
        pageUsername: 'acme.shoes',
        handoverAppId: null,
        connectedAt: expect.any(String),
      });
      expect(connected.text).not.toContain(PAGE_TOKEN);
      expect((await t.admin.get(`/api/v1/bots/${bot.id}`)).text).not.toContain(PAGE_TOKEN);
      expect((await t.admin.get('/api/v1/bots?limit=100')).text).not.toContain(PAGE_TOKEN);

      const stored = await t.db.query(
        'SELECT access_token_encrypted FROM bot_messenger_connections WHERE bot_id = $1',
        [bot.id],
      );
      expect(stored.rows[0].access_token_encrypted).not.toContain(PAGE_TOKEN);
      expect(stored.rows[0].access_token_encrypted).toMatch(/^v1\./);

      // Reconnecting the same page to the same bot updates it.
      const again = await t.admin.put(`/api/v1/bots/${bot.id}/channels/messenger`, {
        pageId: '1000001',
        pageAccessToken: `${PAGE_TOKEN}-rotated`,
      });
      expect(again.status).toBe(200);
      expect(again.body.channels.messenger.pageUsername).toBeNull();

      expect((await t.admin.delete(`/api/v1/bots/${bot.id}/channels/messenger`)).status).toBe(204);
      expect((await t.admin.get(`/api/v1/bots/${bot.id}`)).body.channels.messenger).toBeNull();
      const twice = await t.admin.delete(`/api/v1/bots/${bot.id}/channels/messenger`);
      expect(twice.status).toBe(404);
      expect(twice.body.code).toBe('MESSENGER_NOT_CONNECTED');

      expect(t.logs.lines.length).toBeGreaterThan(0);
      expect(t.logs.text).not.toContain(PAGE_TOKEN);
    });

    it('restarts connectedAt when the bot moves to another page, not when the same page gets a new token', async () => {
      const bot = (await t.admin.post('/api/v1/bots', { name: 'Moving' })).body;
      const url = `/api/v1/bots/${bot.id}/channels/messenger`;
      const first = await t.admin.put(url, { pageId: '3000001', pageAccessToken: PAGE_TOKEN });
      const connectedAt = first.body.channels.messenger.connectedAt as string;
      // The clock must move on for a new timestamp to differ: wait until Postgres's has.
      await waitFor(
        async () =>
          (await t.db.query('SELECT now() > $1::timestamptz AS later', [connectedAt])).rows[0]
            .later,
        { what: 'the clock to pass connectedAt' },
      );
      const rotated = await t.admin.put(url, {
        pageId: '3000001',
        pageAccessToken: `${PAGE_TOKEN}-2`,
      });
      expect(rotated.body.channels.messenger.connectedAt).toBe(connectedAt);
      const moved = await t.admin.put(url, { pageId: '3000002', pageAccessToken: PAGE_TOKEN });
      expect(moved.body.channels.messenger.pageId).toBe('3000002');
      expect(Date.parse(moved.body.channels.messenger.connectedAt)).toBeGreaterThan(
        Date.parse(connectedAt),
      );
    });

    it('refuses a page already connected to another bot with 409 PAGE_ALREADY_CONNECTED', async () => {
      const first = (await t.admin.post('/api/v1/bots', { name: 'First' })).body;
      const second = (await t.admin.post('/api/v1/bots', { name: 'Second' })).body;
      const body = { pageId: '2000002', pageAccessToken: PAGE_TOKEN };
      expect((await t.admin.put(`/api/v1/bots/${first.id}/channels/messenger`, body)).status).toBe(
        200,
      );
      const conflict = await t.admin.put(`/api/v1/bots/${second.id}/channels/messenger`, body);
      expect(conflict.status).toBe(409);
      expect(conflict.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: expect.stringContaining('2000002'),
        code: 'PAGE_ALREADY_CONNECTED',
      });
      expect((await t.admin.get(`/api/v1/bots/${second.id}`)).body.channels.messenger).toBeNull();
      expect(conflict.text).not.toContain(PAGE_TOKEN);
    });

    it('validates the connection body', async () => {
      const bot = (await t.admin.post('/api/v1/bots', { name: 'Invalid page' })).body;
      const cases = [
        { pageId: 'abc', pageAccessToken: PAGE_TOKEN },
        { pageId: '123', pageAccessToken: 'short' },
        { pageId: '123', pageAccessToken: `${PAGE_TOKEN} with spaces` },
        { pageId: '123', pageUsername: 'no', pageAccessToken: PAGE_TOKEN },
        { pageAccessToken: PAGE_TOKEN },
      ];
      for (const body of cases) {
        const response = await t.admin.put(`/api/v1/bots/${bot.id}/channels/messenger`, body);
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
      expect(t.logs.text).not.toContain(PAGE_TOKEN);
    });
  });
});
