import { createModule, createReferral, text } from '../support/fixtures';
import { SseClient } from '../support/sse';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('The widget Chat API', () => {
  let t: TestApp;
  let botId: string;
  let widgetKey: string;
  let faq: { id: string };
  const streams: SseClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const bot = await t.admin.post('/api/v1/bots', { name: 'Widget bot' });
    botId = bot.body.id;
    widgetKey = bot.body.channels.widget.widgetKey;
    faq = await createModule(t.admin, botId, {
      name: 'FAQ',
      config: { content: text('The FAQ answer') },
    });
    await t.admin.patch(`/api/v1/bots/${botId}`, {
      welcome: {
        messages: [
          { type: 'text', text: 'Welcome {{contact.firstName|friend}}' },
          { type: 'quickReplies', text: 'Pick one', replies: [{ title: 'FAQ', moduleId: faq.id }] },
        ],
      },
    });
    await createReferral(t.admin, botId, {
      trackingParam: 'spring',
      content: text('Hi {{contact.firstName|there}}, you came via {{referral.trackingParam}}'),
      segmentName: 'Spring visitors',
    });
  });
  // The app closes while streams are open: shutdown must end them rather than wait for them.
  afterAll(async () => {
    await t.close();
    await Promise.all(streams.map((s) => s.close()));
  });

  const api = (path: string): string => `/api/v1/widget/${widgetKey}${path}`;
  const as = (token: string) => ({ headers: { 'x-widget-session': token } });

  async function stream(token: string, lastEventId?: string): Promise<SseClient> {
    const client = new SseClient();
    streams.push(client);
    await client.open(`${t.http.baseUrl}${api('/stream')}`, {
      'x-widget-session': token,
      ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
    });
    return client;
  }

  /** The stream's first `count` messages, once they have arrived. */
  async function received(sse: SseClient, count: number): Promise<any[]> {
    await waitFor(() => sse.messages().length >= count, {
      what: `${count} messages on the stream`,
    });
    return sse.messages();
  }

  async function entries(token: string): Promise<any[]> {
    return (
      await t.db.query(
        `SELECT e.source, e.raw_ref, e.referer_uri, e.is_new_contact, e.referral_id, c.channel
           FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
          WHERE c.external_id = (SELECT visitor_id FROM widget_sessions WHERE token_hash = encode(sha256($1::bytea), 'hex'))
          ORDER BY e.occurred_at`,
        [token],
      )
    ).rows;
  }

  it('starts a session with a ref: the answer arrives on the stream, the entry and membership are on channel widget', async () => {
    const started = await t.http.post(api('/sessions'), {
      ref: 'spring',
      pageUrl: 'https://shop.example/landing',
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ created: true, cursor: '0' });
    expect(started.body.token).toMatch(/^ws_[A-Za-z0-9_-]{43}$/);
    const sse = await stream(started.body.token);
    expect(sse.status).toBe(200);
    const [first] = await received(sse, 1);
    expect(first.message).toEqual({ type: 'text', text: 'Hi there, you came via spring' });
    expect(await entries(started.body.token)).toEqual([
      expect.objectContaining({
        source: 'WIDGET_LINK',
        raw_ref: 'spring',
        referer_uri: 'https://shop.example/landing',
        is_new_contact: true,
        channel: 'widget',
      }),
    ]);
    const stored = await t.db.query(
      'SELECT token_hash FROM widget_sessions WHERE token_hash = $1',
      [started.body.token],
    );
    expect(stored.rowCount).toBe(0);
    const members = await t.db.query(
      `SELECT c.channel FROM segment_members m JOIN segments s ON s.id = m.segment_id
         JOIN contacts c ON c.id = m.contact_id WHERE s.name = 'Spring visitors'`,
    );
    expect(members.rows).toEqual([{ channel: 'widget' }]);
  });

  it('welcomes a new visitor without a ref; a quick-reply tap gets the module answer; polling reads the same', async () => {
    const { token } = (await t.http.post(api('/sessions'), {})).body;
    const sse = await stream(token);
    const welcome = await received(sse, 2);
    expect(welcome.map((m) => m.message.type)).toEqual(['text', 'quickReplies']);
    expect(welcome[0].message.text).toBe('Welcome friend');
    const chip = welcome[1].message.replies[0];
    const tapped = await t.http.post(
      api('/messages'),
      { type: 'quickReply', text: chip.title, payload: chip.payload },
      as(token),
    );
    expect(tapped.status).toBe(202);
    const all = await received(sse, 3);
    expect(all[2].message).toEqual({ type: 'text', text: 'The FAQ answer' });
    const polled = await t.http.get(api('/messages?after=0'), as(token));
    expect(polled.status).toBe(200);
    expect(polled.body.messages.map((m: any) => m.id)).toEqual(all.map((m) => m.id));
    expect(polled.body.cursor).toBe(all[2].id);
    const later = await t.http.get(api(`/messages?after=${all[1].id}`), as(token));
    expect(later.body.messages.map((m: any) => m.message.text)).toEqual(['The FAQ answer']);
  });

  it('resumes a stream after Last-Event-ID without repeating', async () => {
    const { token } = (await t.http.post(api('/sessions'), {})).body;
    const polled = await waitFor(async () => {
      const body = (await t.http.get(api('/messages'), as(token))).body;
      return body.messages.length >= 2 && body;
    });
    const sse = await stream(token, polled.messages[0].id);
    const resumed = await received(sse, 1);
    expect(resumed.map((m) => m.id)).toEqual([polled.messages[1].id]);
  });

  it('a returning visitor is the same contact; identify personalises; BotWidget.referral is WIDGET_API', async () => {
    const first = (await t.http.post(api('/sessions'), {})).body;
    // The welcome is sent before the visitor returns, so the resumed cursor is past it.
    await waitFor(
      async () => (await t.http.get(api('/messages'), as(first.token))).body.messages.length >= 2,
    );
    const again = await t.http.post(api('/sessions'), { token: first.token });
    expect(again.body).toMatchObject({ token: first.token, created: false });
    const identified = await t.http.post(
      api('/identify'),
      { firstName: 'Ada', lastName: 'Lovelace', externalId: 'user-42' },
      as(first.token),
    );
    expect(identified.status).toBe(200);
    const sse = await stream(first.token, again.body.cursor);
    const sent = await t.http.post(
      api('/referral'),
      { ref: 'spring', pageUrl: 'https://shop.example/pricing' },
      as(first.token),
    );
    expect(sent.status).toBe(202);
    const [answer] = await received(sse, 1);
    expect(answer.message.text).toBe('Hi Ada, you came via spring');
    expect(await entries(first.token)).toEqual([
      expect.objectContaining({
        source: 'WIDGET_API',
        raw_ref: 'spring',
        referer_uri: 'https://shop.example/pricing',
        is_new_contact: false,
        channel: 'widget',
      }),
    ]);
    const contacts = await t.db.query(
      `SELECT count(*)::int AS n FROM contacts WHERE channel = 'widget' AND first_name = 'Ada'`,
    );
    expect(contacts.rows[0].n).toBe(1);
  });

  it('records unknown refs and answers them with the welcome', async () => {
    const { token } = (await t.http.post(api('/sessions'), { ref: 'nope' })).body;
    const sse = await stream(token);
    const answer = await received(sse, 2);
    expect(answer[0].message.text).toBe('Welcome friend');
    expect(await entries(token)).toEqual([
      expect.objectContaining({ source: 'WIDGET_LINK', raw_ref: 'nope', referral_id: null }),
    ]);
  });

  it('serves the hosted page with a strict CSP, settings escaped, and a 404 page for unknown keys', async () => {
    const hostile = '"><script>alert(1)</script>';
    const page = await t.http.get(`/chat/${widgetKey}?ref=${encodeURIComponent(hostile)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).toContain('data-ref="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    for (const key of ['wk_unknown', 'wk%00x', 'k'.repeat(90)]) {
      const missing = await t.http.get(`/chat/${key}`);
      expect({ key, status: missing.status }).toEqual({ key, status: 404 });
      expect(missing.text).toContain('This chat does not exist.');
    }
  });

  it('refuses bad input with 4xx in the one error body', async () => {
    const { token } = (await t.http.post(api('/sessions'), {})).body;
    const cases: [string, string, unknown, Record<string, string>, number, string][] = [
      ['POST', '/api/v1/widget/wk_unknown/sessions', {}, {}, 404, 'WIDGET_NOT_FOUND'],
      ['POST', '/api/v1/widget/wk%00x/sessions', {}, {}, 404, 'WIDGET_NOT_FOUND'],
      ['POST', `/api/v1/widget/${'k'.repeat(90)}/sessions`, {}, {}, 404, 'WIDGET_NOT_FOUND'],
      ['GET', '/api/v1/widget/wk%00x/messages', undefined, {}, 404, 'WIDGET_NOT_FOUND'],
      ['POST', api('/messages'), { type: 'text', text: 'hi' }, {}, 401, 'WIDGET_SESSION_INVALID'],
      [
        'POST',
        api('/messages'),
        { type: 'text', text: 'hi' },
        { 'x-widget-session': 'ws_x' },
        401,
        'WIDGET_SESSION_INVALID',
      ],
      [
        'POST',
        api('/messages'),
        { type: 'shout' },
        { 'x-widget-session': token },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        api('/messages'),
        { type: 'text' },
        { 'x-widget-session': token },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        api('/messages'),
        { type: 'postback' },
        { 'x-widget-session': token },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'POST',
        api('/referral'),
        { ref: '' },
        { 'x-widget-session': token },
        400,
        'VALIDATION_FAILED',
      ],
      ['POST', api('/sessions'), { ref: 7 }, {}, 400, 'VALIDATION_FAILED'],
      [
        'GET',
        api('/messages?after=-1'),
        undefined,
        { 'x-widget-session': token },
        400,
        'VALIDATION_FAILED',
      ],
      [
        'GET',
        api('/stream'),
        undefined,
        { 'x-widget-session': token, 'last-event-id': 'x' },
        400,
        'WIDGET_CURSOR_INVALID',
      ],
    ];
    for (const [method, path, body, headers, status, code] of cases) {
      const response = await t.http.request(method, path, { body, headers });
      expect({ path, body, status: response.status, code: response.body.code }).toEqual({
        path,
        body,
        status,
        code,
      });
      expect(response.body).toMatchObject({ statusCode: status, error: expect.any(String) });
    }
  });
});
