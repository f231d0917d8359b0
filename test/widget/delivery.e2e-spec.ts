import { WidgetSender } from '../../src/widget/widget.sender';
import { createReferral, text } from '../support/fixtures';
import { SseClient } from '../support/sse';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Every answer reaches its visitor's stream exactly once, however the stream's opening falls
 * against the send: hundreds of sessions at once on a freshly started app (streams opened while
 * the welcome is being sent), streams opened after the welcome was stored, two replies to one
 * visitor sent at once, and a Redis blip while streams are open. Redis is reached through a
 * loopback proxy, as over a network (and so the blip can be made without touching the shared one).
 */
describe('Widget delivery: every message on its stream, once', () => {
  const SESSIONS = 300;
  const redisProxy = new TcpProxy('127.0.0.1', 6379);
  let t: TestApp;
  let widgetKey: string;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    const port = await redisProxy.start();
    t = await startTestApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      WIDGET_RATE_PER_IP_PER_MINUTE: '1000000',
      WIDGET_RATE_PER_SESSION_PER_MINUTE: '1000000',
    });
    const bot = await t.admin.post('/api/v1/bots', { name: 'Widget delivery bot' });
    widgetKey = bot.body.channels.widget.widgetKey;
    await t.admin.patch(`/api/v1/bots/${bot.body.id}`, {
      welcome: { messages: [{ type: 'text', text: 'Welcome' }] },
    });
    await createReferral(t.admin, bot.body.id, { trackingParam: 'load', content: text('Load') });
    await createReferral(t.admin, bot.body.id, { trackingParam: 'more', content: text('More') });
  }, 60_000);
  afterAll(async () => {
    await redisProxy.restore();
    await t.close();
    await Promise.all(streams.map((s) => s.close()));
    await redisProxy.cut();
  });

  const api = (path: string): string => `/api/v1/widget/${widgetKey}${path}`;

  async function open(token: string): Promise<SseClient> {
    const client = new SseClient();
    streams.push(client);
    await client.open(`${t.http.baseUrl}${api('/stream')}`, { 'x-widget-session': token });
    expect(client.status).toBe(200);
    return client;
  }

  async function newSession(): Promise<string> {
    const started = await t.http.post(api('/sessions'), {});
    expect(started.status).toBe(200);
    return started.body.token as string;
  }

  /**
   * Waits until every stream holds as many messages as `expected`, then checks each holds exactly
   * those (sorted: two replies sent at once may arrive in either order), none twice, ids rising.
   */
  async function expectEach(clients: SseClient[], expected: string[]): Promise<void> {
    const short = (): number => clients.filter((c) => c.messages().length < expected.length).length;
    // Generous: the machine may be busy; a lost message never arrives however long one waits.
    await waitFor(() => short() === 0, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: `${expected.join(', ')} on all ${clients.length} streams`,
    }).catch((error: Error) => {
      throw new Error(`${error.message}: ${short()} of ${clients.length} streams short`);
    });
    // Let anything written twice arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const client of clients) {
      const texts = client.messages().map((m) => m.message.text as string);
      expect(texts.sort()).toEqual([...expected].sort());
      const ids = client.messages().map((m) => BigInt(m.id));
      expect(ids.every((id, k) => k === 0 || id > ids[k - 1])).toBe(true);
    }
  }

  it('welcomes hundreds of visitors whose streams open, all at once, while the welcome is sent', async () => {
    const clients = await Promise.all(
      Array.from({ length: SESSIONS }, async () => open(await newSession())),
    );
    await expectEach(clients, ['Welcome']);
  }, 180_000);

  it('replays a welcome stored before the stream opened; two referrals sent at once arrive once each', async () => {
    const before = Number(
      (await t.db.query('SELECT count(*) AS n FROM widget_messages')).rows[0].n,
    );
    const tokens = await Promise.all(Array.from({ length: SESSIONS }, () => newSession()));
    await waitFor(
      async () =>
        Number((await t.db.query('SELECT count(*) AS n FROM widget_messages')).rows[0].n) >=
        before + SESSIONS,
      { timeoutMs: 60_000, what: 'the welcomes stored' },
    );
    const clients = await Promise.all(tokens.map((token) => open(token)));
    await expectEach(clients, ['Welcome']);
    // Both referrals of a visitor at once; visitors 50 at a time, so a busy machine's pool
    // waits never turn into 500s (every call must be accepted: its answer is what is counted).
    for (let i = 0; i < tokens.length; i += 50) {
      const statuses = await Promise.all(
        tokens
          .slice(i, i + 50)
          .flatMap((token) =>
            ['load', 'more'].map(
              async (ref) =>
                (
                  await t.http.post(
                    api('/referral'),
                    { ref },
                    { headers: { 'x-widget-session': token } },
                  )
                ).status,
            ),
          ),
      );
      expect(statuses.every((status) => status === 202)).toBe(true);
    }
    await expectEach(clients, ['Welcome', 'Load', 'More']);
  }, 240_000);

  it('a message stored while Redis is away reaches the streams already open, once', async () => {
    const visitors = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const token = await newSession();
        const sse = await open(token);
        const [row] = (
          await t.db.query(
            `SELECT visitor_id, bot_id FROM widget_sessions
              WHERE token_hash = encode(sha256($1::bytea), 'hex')`,
            [token],
          )
        ).rows;
        return { sse, visitorId: row.visitor_id as string, botId: row.bot_id as string };
      }),
    );
    await expectEach(
      visitors.map((v) => v.sse),
      ['Welcome'],
    );
    await redisProxy.cut();
    // The outbound worker's own call, made while Redis is away: stored, its publish not heard.
    const sender = t.app.get(WidgetSender);
    for (const v of visitors) {
      const outcome = await sender.send(
        v.botId,
        { externalId: v.visitorId, externalIdKind: 'visitor' },
        { type: 'text', text: 'Sent during the blip' },
      );
      expect(outcome.ok).toBe(true);
    }
    await redisProxy.restore();
    await expectEach(
      visitors.map((v) => v.sse),
      ['Welcome', 'Sent during the blip'],
    );
  }, 180_000);
});
