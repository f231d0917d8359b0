import { startTestApp, type TestApp } from '../support/test-app';

describe('Auth', () => {
  let t: TestApp;
  let botA: { id: string };
  let botB: { id: string };
  let keyA: string;

  beforeAll(async () => {
    t = await startTestApp();
    botA = (await t.admin.post('/api/v1/bots', { name: 'Bot A' })).body;
    botB = (await t.admin.post('/api/v1/bots', { name: 'Bot B' })).body;
    const created = await t.admin.post(`/api/v1/bots/${botA.id}/api-keys`, { name: 'dashboard' });
    expect(created.status).toBe(201);
    keyA = created.body.key;
  });
  afterAll(() => t.close());

  it('answers 401 without a token and with an unknown one', async () => {
    const none = await t.http.get('/api/v1/bots');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.any(String),
      code: 'UNAUTHORIZED',
    });
    for (const token of ['nope', 'bpk_doesnotexist', `${t.config.adminToken}x`]) {
      const bad = await t.http.get(`/api/v1/bots/${botA.id}`, { token });
      expect(bad.status).toBe(401);
      expect(bad.body.code).toBe('UNAUTHORIZED');
    }
    const basic = await t.http.get('/api/v1/bots', {
      headers: { authorization: `Basic ${t.config.adminToken}` },
    });
    expect(basic.status).toBe(401);
  });

  it('shows a key once and stores only its hash', async () => {
    const created = await t.admin.post(`/api/v1/bots/${botA.id}/api-keys`, { name: 'ci' });
    expect(created.body.key).toMatch(/^bpk_[\w-]{43}$/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 12));
    const listed = await t.admin.get(`/api/v1/bots/${botA.id}/api-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.map((k: { name: string }) => k.name)).toEqual(['ci', 'dashboard']);
    expect(listed.text).not.toContain(created.body.key);
    const rows = await t.db.query('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    expect(rows.rows[0].key_hash).toHaveLength(64);
    expect(rows.rows[0].key_hash).not.toContain(created.body.key.slice(4));
  });

  it('lets a bot key use its own bot', async () => {
    const own = await t.http.get(`/api/v1/bots/${botA.id}`, { token: keyA });
    expect(own.status).toBe(200);
    expect(own.body.id).toBe(botA.id);
    const renamed = await t.http.patch(
      `/api/v1/bots/${botA.id}`,
      { name: 'Bot A2' },
      { token: keyA },
    );
    expect(renamed.status).toBe(200);
  });

  it("answers 404 for another bot's resources exactly as for a bot that does not exist", async () => {
    const other = await t.http.get(`/api/v1/bots/${botB.id}`, { token: keyA });
    const missing = await t.admin.get('/api/v1/bots/00000000-0000-4000-8000-000000000000');
    expect(other.status).toBe(404);
    expect(other.body).toEqual(missing.body);
    expect(other.body.code).toBe('BOT_NOT_FOUND');
    for (const [method, path] of [
      ['PATCH', `/api/v1/bots/${botB.id}`],
      ['DELETE', `/api/v1/bots/${botB.id}`],
      ['PUT', `/api/v1/bots/${botB.id}/channels/messenger`],
      ['GET', `/api/v1/bots/${botB.id}/api-keys`],
    ] as const) {
      const response = await t.http.request(method, path, {
        token: keyA,
        body: method === 'GET' ? undefined : { name: 'x' },
      });
      expect(response.status).toBe(404);
      expect(response.body).toEqual(missing.body);
    }
    expect((await t.admin.get(`/api/v1/bots/${botB.id}`)).body.name).toBe('Bot B');
  });

  it('keeps admin-only operations from bot keys with 403', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/bots'],
      ['POST', '/api/v1/bots'],
      ['GET', `/api/v1/bots/${botA.id}/api-keys`],
      ['POST', `/api/v1/bots/${botA.id}/api-keys`],
    ] as const) {
      const response = await t.http.request(method, path, {
        token: keyA,
        body: method === 'GET' ? undefined : { name: 'x' },
      });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('FORBIDDEN');
    }
  });

  it('answers 401 once a key is revoked', async () => {
    const created = (await t.admin.post(`/api/v1/bots/${botA.id}/api-keys`, { name: 'temporary' }))
      .body;
    expect((await t.http.get(`/api/v1/bots/${botA.id}`, { token: created.key })).status).toBe(200);
    expect((await t.admin.delete(`/api/v1/bots/${botA.id}/api-keys/${created.id}`)).status).toBe(
      204,
    );
    const revoked = await t.http.get(`/api/v1/bots/${botA.id}`, { token: created.key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('UNAUTHORIZED');
    const listed = await t.admin.get(`/api/v1/bots/${botA.id}/api-keys`);
    expect(listed.body.find((k: { id: string }) => k.id === created.id).revokedAt).toEqual(
      expect.any(String),
    );
    // Revoking is idempotent; an unknown key or another bot's key is 404.
    expect((await t.admin.delete(`/api/v1/bots/${botA.id}/api-keys/${created.id}`)).status).toBe(
      204,
    );
    const elsewhere = await t.admin.delete(`/api/v1/bots/${botB.id}/api-keys/${created.id}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('API_KEY_NOT_FOUND');
  });

  it("removes a bot's keys with the bot", async () => {
    const bot = (await t.admin.post('/api/v1/bots', { name: 'Short-lived' })).body;
    const key = (await t.admin.post(`/api/v1/bots/${bot.id}/api-keys`, { name: 'k' })).body.key;
    // Deleting a bot is the admin's (a bot key gets 403, see below).
    expect((await t.admin.delete(`/api/v1/bots/${bot.id}`)).status).toBe(204);
    expect((await t.http.get(`/api/v1/bots/${bot.id}`, { token: key })).status).toBe(401);
  });

  it('refuses a bot key deleting its own bot with 403, and the bot stays', async () => {
    const response = await t.http.delete(`/api/v1/bots/${botA.id}`, { token: keyA });
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('FORBIDDEN');
    expect((await t.admin.get(`/api/v1/bots/${botA.id}`)).status).toBe(200);
  });

  it('says in every operation who may call it, and holds to it for a bot key', async () => {
    const document = (await t.http.get('/docs-json')).body;
    const seen = { public: 0, admin: 0, bot: 0 };
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        const access =
          /Access: (public|the admin token only|the admin token, or an API key of this bot)/.exec(
            operation.description ?? '',
          );
        expect({ path, method, access: access?.[1] }).toEqual({
          path,
          method,
          access: expect.any(String),
        });
        const kind = access![1].startsWith('public')
          ? 'public'
          : access![1].endsWith('only')
            ? 'admin'
            : 'bot';
        seen[kind] += 1;
        if (kind !== 'admin') continue;
        // Ids that do not exist: a refused key must not get as far as looking them up.
        const url = path
          .replace('{botId}', botA.id)
          .replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000');
        const response = await t.http.request(method.toUpperCase(), url, {
          token: keyA,
          body: operation.requestBody ? {} : undefined,
        });
        expect({ method, path, status: response.status, code: response.body.code }).toEqual({
          method,
          path,
          status: 403,
          code: 'FORBIDDEN',
        });
      }
    }
    expect(seen.public).toBeGreaterThanOrEqual(2);
    expect(seen.admin).toBeGreaterThanOrEqual(6);
    expect(seen.bot).toBeGreaterThanOrEqual(15);
  });

  it('leaves public routes open', async () => {
    expect((await t.http.get('/health')).status).toBe(200);
    expect((await t.http.get('/docs-json')).status).toBe(200);
  });
});
