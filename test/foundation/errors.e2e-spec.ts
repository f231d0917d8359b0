import { createBot, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { changeSchema } from '../support/schema-change';

describe('Error responses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const shape = {
    statusCode: expect.any(Number),
    error: expect.any(String),
    message: expect.any(String),
    code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
  };

  it('answers malformed JSON with 400 INVALID_JSON and stores nothing', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM bots');
    const response = await t.admin.request('POST', '/api/v1/bots', {
      raw: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      ...shape,
      statusCode: 400,
      error: 'Bad Request',
      code: 'INVALID_JSON',
    });
    const empty = await t.admin.request('POST', '/api/v1/bots', {
      raw: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('INVALID_JSON');
    const after = await t.db.query('SELECT count(*)::int AS n FROM bots');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('rejects unknown fields with 400 VALIDATION_FAILED naming each field', async () => {
    const response = await t.admin.post('/api/v1/bots', { name: 'ok', color: 'red', owner: 'me' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ...shape, code: 'VALIDATION_FAILED' });
    expect(response.body.details).toEqual(
      expect.arrayContaining([
        { field: 'color', messages: ['property color should not exist'] },
        { field: 'owner', messages: ['property owner should not exist'] },
      ]),
    );
    expect(response.body.message).toMatch(/and 1 more/);
  });

  it('answers an unsupported content type with 415 and an oversized body with 413', async () => {
    const text = await t.admin.request('POST', '/api/v1/bots', {
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ ...shape, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const plain = await t.admin.request('POST', '/api/v1/bots', {
      raw: '{"name":"x"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(415);
    const huge = await t.admin.post('/api/v1/bots', { name: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ ...shape, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses NUL in bodies and query strings of the management API, naming each field', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM bots');
    const nulMessage = 'must not contain NUL (\\u0000) characters';
    const bot = await t.admin.post('/api/v1/bots', { name: 'a\u0000b' });
    expect(bot.status).toBe(400);
    expect(bot.body).toMatchObject({
      ...shape,
      code: 'VALIDATION_FAILED',
      details: [{ field: 'name', messages: [nulMessage] }],
    });
    const after = await t.db.query('SELECT count(*)::int AS n FROM bots');
    expect(after.rows[0].n).toBe(before.rows[0].n);

    const botId = (await createBot(t.admin)).id;
    const referral = await t.admin.post(`/api/v1/bots/${botId}/referrals`, {
      answerType: 'message',
      content: text('hello\u0000'),
      segmentName: 'Seg\u0000ment',
    });
    expect(referral.status).toBe(400);
    expect(referral.body.details).toEqual([
      { field: 'content.messages[0].text', messages: [nulMessage] },
      { field: 'segmentName', messages: [nulMessage] },
    ]);
    expect(referral.body.message).toBe(`content.messages[0].text: ${nulMessage} (and 1 more)`);

    const search = await t.admin.get(`/api/v1/bots/${botId}/referrals?search=a%00b`);
    expect(search.status).toBe(400);
    expect(search.body).toMatchObject({
      ...shape,
      code: 'VALIDATION_FAILED',
      details: [{ field: 'search', messages: [nulMessage] }],
    });
  });

  it('answers a value Postgres refuses with 400 VALIDATION_FAILED, without SQL', async () => {
    // A trigger that fails the insert with the SQLSTATE given as the bot's name.
    await changeSchema(
      t.db,
      `
      CREATE FUNCTION refuse_bot() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'refused by trigger on bots' USING ERRCODE = NEW.name;
      END $$;
      CREATE TRIGGER refuse_bot BEFORE INSERT ON bots FOR EACH ROW EXECUTE FUNCTION refuse_bot();
    `,
    );
    try {
      for (const sqlState of ['22001', '22021', '22P05', '22P02']) {
        const response = await t.admin.post('/api/v1/bots', { name: sqlState });
        expect({ sqlState, status: response.status }).toEqual({ sqlState, status: 400 });
        expect(response.body).toMatchObject({ ...shape, code: 'VALIDATION_FAILED' });
        expect(response.text).not.toMatch(/bots|trigger|INSERT/i);
      }
      // Any other database failure stays a 500.
      const other = await t.admin.post('/api/v1/bots', { name: '22012' });
      expect(other.status).toBe(500);
      const warnings = t.logs.lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'Database refused a value of the request');
      expect(warnings).toHaveLength(4);
      expect(warnings[0]).toMatchObject({ level: 40, err: { code: '22001' } });
    } finally {
      await changeSchema(t.db, 'DROP TRIGGER refuse_bot ON bots; DROP FUNCTION refuse_bot()');
    }
  });

  it('answers unknown routes and methods with 404 NOT_FOUND', async () => {
    const response = await t.admin.get('/api/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ ...shape, code: 'NOT_FOUND' });
    const malformedId = await t.admin.get('/api/v1/bots/not-a-uuid');
    expect(malformedId.status).toBe(404);
    expect(malformedId.body.code).toBe('BOT_NOT_FOUND');
  });

  it('answers a URL Fastify cannot route with 400 INVALID_URL in the same shape, with a request id', async () => {
    for (const path of [
      '/api/v1/bots/%E0%A4%A',
      // Segments longer than the router takes (300 characters: a tracked link's param URL-encoded).
      `/api/v1/bots/${'a'.repeat(400)}`,
      `/api/v1/bots/${'a'.repeat(400)}/referrals`,
      '/health/%E0%A4%A',
    ]) {
      const response = await t.admin.get(path, { headers: { 'x-request-id': 'req-bad-url' } });
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(response.headers.get('x-request-id')).toBe('req-bad-url');
      expect(Object.keys(response.body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
      expect(response.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'INVALID_URL',
        message: expect.stringMatching(/^The URL is not valid: /),
      });
    }
  });

  it('answers an unexpected failure with 500 carrying a fresh id it was logged under', async () => {
    await changeSchema(t.db, 'ALTER TABLE bots RENAME TO bots_moved');
    try {
      const headers = { 'x-request-id': 'req-500' };
      const response = await t.admin.get('/api/v1/bots', { headers });
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ ...shape, statusCode: 500, code: 'INTERNAL_ERROR' });
      const errorId = response.body.details.errorId as string;
      expect(response.body.message).toContain(errorId);
      expect(response.headers.get('x-request-id')).toBe('req-500');
      // The caller picks the request id and may reuse it; the error id names this one failure.
      expect(errorId).not.toBe('req-500');
      const again = await t.admin.get('/api/v1/bots', { headers });
      expect(again.body.details.errorId).not.toBe(errorId);
      // The body reveals nothing of the cause; the log line has it, under the same ids.
      expect(response.text).not.toContain('bots');
      const line = t.logs.lines.map((l) => JSON.parse(l)).find((l) => l.errorId === errorId);
      expect(line).toMatchObject({ level: 50, msg: 'Unexpected error', requestId: 'req-500' });
      expect(JSON.stringify(line.err)).toContain('relation');
    } finally {
      await changeSchema(t.db, 'ALTER TABLE bots_moved RENAME TO bots');
    }
  });

  it('logs an unexpected failure without the secrets of its query string', async () => {
    // Bot keys are looked up before the query is validated: a missing table fails that lookup.
    await changeSchema(t.db, 'ALTER TABLE api_keys RENAME TO api_keys_moved');
    try {
      const response = await t.http.get(
        '/api/v1/bots?token=tok-secret-1&access_token=tok-secret-2&hub.verify_token=tok-secret-3&limit=5',
        { token: 'bpk_not-a-real-key' },
      );
      expect(response.status).toBe(500);
      const errorId = response.body.details.errorId as string;
      const line = t.logs.lines.map((l) => JSON.parse(l)).find((l) => l.errorId === errorId);
      expect(line.url).toBe(
        '/api/v1/bots?token=[redacted]&access_token=[redacted]&hub.verify_token=[redacted]&limit=5',
      );
      expect(t.logs.text).not.toContain('tok-secret');
    } finally {
      await changeSchema(t.db, 'ALTER TABLE api_keys_moved RENAME TO api_keys');
    }
  });

  it('tags every log line of a request with its request id', async () => {
    const response = await t.admin.get('/api/v1/bots', {
      headers: { 'x-request-id': 'req-abc-123' },
    });
    expect(response.headers.get('x-request-id')).toBe('req-abc-123');
    const lines = t.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.req?.id === 'req-abc-123');
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain(t.config.adminToken);
  });
});
