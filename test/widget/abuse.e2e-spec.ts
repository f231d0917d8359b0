import { type HttpResponse } from '../support/http';
import { createApiKey } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('The widget Chat API under abuse', () => {
  let t: TestApp;
  let botId: string;
  let widgetKey: string;
  let openKey: string;

  beforeAll(async () => {
    t = await startTestApp({
      WIDGET_RATE_PER_SESSION_PER_MINUTE: '5',
      WIDGET_RATE_PER_IP_PER_MINUTE: '40',
      // The rotate test comes through another address (X-Forwarded-For) to get a budget of its own.
      TRUST_PROXY: 'true',
    });
    const bot = (await t.admin.post('/api/v1/bots', { name: 'Guarded' })).body;
    botId = bot.id;
    widgetKey = bot.channels.widget.widgetKey;
    openKey = (await t.admin.post('/api/v1/bots', { name: 'Open' })).body.channels.widget.widgetKey;
    const patched = await t.admin.patch(`/api/v1/bots/${botId}`, {
      widget: { allowedOrigins: ['https://shop.example'] },
    });
    expect(patched.body.channels.widget.allowedOrigins).toEqual(['https://shop.example']);
  });
  afterAll(() => t.close());

  const api = (key: string, path: string): string => `/api/v1/widget/${key}${path}`;

  it('answers CORS preflights by the bot’s allowed origins; the hosted page’s origin always', async () => {
    const preflight = (key: string, origin: string) =>
      t.http.request('OPTIONS', api(key, '/messages'), {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-widget-session',
        },
      });
    const shop = await preflight(widgetKey, 'https://shop.example');
    expect(shop.status).toBe(204);
    expect(shop.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(shop.headers.get('access-control-allow-headers')).toContain('x-widget-session');
    const own = await preflight(widgetKey, 'https://bots.example.com');
    expect(own.status).toBe(204);
    const evil = await preflight(widgetKey, 'https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({ statusCode: 403, code: 'WIDGET_ORIGIN_NOT_ALLOWED' });
    const any = await preflight(openKey, 'https://evil.example');
    expect(any.status).toBe(204);
    expect(any.headers.get('access-control-allow-origin')).toBe('https://evil.example');
  });

  it('refuses calls from an origin the bot does not allow, before any work', async () => {
    const refused = await t.http.post(
      api(widgetKey, '/sessions'),
      {},
      {
        headers: { origin: 'https://evil.example' },
      },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('WIDGET_ORIGIN_NOT_ALLOWED');
    const sessions = await t.db.query('SELECT count(*)::int AS n FROM widget_sessions');
    expect(sessions.rows[0].n).toBe(0);
    const allowed = await t.http.post(
      api(widgetKey, '/sessions'),
      {},
      {
        headers: { origin: 'https://shop.example' },
      },
    );
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('refuses bodies over the Chat API limit with 413 in the one error body', async () => {
    const big = await t.http.post(api(widgetKey, '/sessions'), { pageUrl: 'x'.repeat(20_000) });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('limits calls per session, with Retry-After', async () => {
    const { token } = (await t.http.post(api(openKey, '/sessions'), {})).body;
    const statuses: number[] = [];
    let limited: HttpResponse | undefined;
    for (let i = 0; i < 7; i++) {
      const response = await t.http.get(api(openKey, '/messages'), {
        headers: { 'x-widget-session': token },
      });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(limited?.body).toMatchObject({ statusCode: 429, code: 'WIDGET_RATE_LIMITED' });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another session from the same address is not affected by this one's limit.
    const other = (await t.http.post(api(openKey, '/sessions'), {})).body;
    const fresh = await t.http.get(api(openKey, '/messages'), {
      headers: { 'x-widget-session': other.token },
    });
    expect(fresh.status).toBe(200);
  });

  it('limits calls per IP address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await t.http.post(api(openKey, '/sessions'), {});
      statuses.push(response.status);
      if (response.status === 429) break;
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true);
  });

  it('rotates the widget key (admin only): the old key stops working', async () => {
    const apiKey = await createApiKey(t.admin, botId);
    const forbidden = await t.http.post(
      `/api/v1/bots/${botId}/channels/widget/rotate-key`,
      undefined,
      { token: apiKey },
    );
    expect(forbidden.status).toBe(403);
    const rotated = await t.admin.post(`/api/v1/bots/${botId}/channels/widget/rotate-key`);
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.channels.widget.widgetKey;
    expect(newKey).toMatch(/^wk_/);
    expect(newKey).not.toBe(widgetKey);
    // Through another address's budget: the limit test above spent this one's.
    const old = await t.http.post(
      api(widgetKey, '/sessions'),
      {},
      {
        headers: { 'x-forwarded-for': '203.0.113.9' },
      },
    );
    expect(old.status).toBe(404);
    expect(old.body.code).toBe('WIDGET_NOT_FOUND');
    const renewed = await t.http.post(
      api(newKey, '/sessions'),
      {},
      {
        headers: { 'x-forwarded-for': '203.0.113.9' },
      },
    );
    expect(renewed.status).toBe(200);
  });
});
