import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { buildWidget } from '../../scripts/build-widget';
import { createModule, createReferral, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SHOTS = process.env.WIDGET_SCREENSHOTS_DIR;

describe('The widget in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let host: Server;
  let hostUrl: string;
  let botId: string;
  let widgetKey: string;
  let spring: { id: string };
  const errors: string[] = [];
  /** Bodies of the receipt calls the pages made. */
  const receipts: { kind: string; watermark: string }[] = [];

  beforeAll(async () => {
    await buildWidget();
    t = await startTestApp({
      WIDGET_RATE_PER_IP_PER_MINUTE: '10000',
      WIDGET_RATE_PER_SESSION_PER_MINUTE: '10000',
    });
    const bot = (await t.admin.post('/api/v1/bots', { name: 'Shop' })).body;
    botId = bot.id;
    widgetKey = bot.channels.widget.widgetKey;
    const faq = await createModule(t.admin, botId, {
      name: 'FAQ',
      config: { content: text('Shipping takes 2 days, {{contact.firstName|friend}}.') },
    });
    await t.admin.patch(`/api/v1/bots/${botId}`, {
      welcome: {
        messages: [
          { type: 'text', text: 'Welcome <b>{{contact.firstName|friend}}</b>!' },
          {
            type: 'quickReplies',
            text: 'How can we help?',
            replies: [{ title: 'FAQ', moduleId: faq.id }],
          },
        ],
      },
    });
    spring = await createReferral(t.admin, botId, {
      trackingParam: 'spring',
      content: text('Hi {{contact.firstName|there}}, spring deals via {{referral.trackingParam}}!'),
      segmentName: 'Spring visitors',
    });
    await createReferral(t.admin, botId, {
      trackingParam: 'summer',
      content: text('Summer for {{contact.firstName|you}}'),
      segmentName: 'Summer visitors',
    });
    // The host page: another loopback port, so another origin than the app's.
    host = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>
<script src="${t.http.baseUrl}/widget.js" data-widget-key="${widgetKey}" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => host?.close(resolve));
    await t?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 390, height: 760 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/receipts'))
        receipts.push(request.postDataJSON() as { kind: string; watermark: string });
    });
    return page;
  }

  async function bubbles(frame: Page | Frame): Promise<string[]> {
    return frame.locator('.bp-bot').allTextContents();
  }

  async function shownIn(frame: Page | Frame, wanted: string): Promise<void> {
    await waitFor(async () => (await bubbles(frame)).includes(wanted), {
      timeoutMs: 20_000,
      what: `"${wanted}" in the chat`,
    });
  }

  it('the hosted page with ?ref= shows the personalised answer; a quick-reply tap the module answer', async () => {
    const page = await newPage();
    const response = await page.goto(`${t.http.baseUrl}/chat/${widgetKey}?ref=spring`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await shownIn(page, 'Hi there, spring deals via spring!');
    // The page is visible: the chat reports the answer read, and the funnel counts it.
    await waitFor(() => receipts.some((r) => r.kind === 'read'), {
      timeoutMs: 10_000,
      what: 'a read receipt sent',
    });
    const [answer] = (
      await t.db.query(
        `SELECT max(id)::text AS id FROM widget_messages WHERE payload->>'text' = $1`,
        ['Hi there, spring deals via spring!'],
      )
    ).rows;
    expect(receipts).toContainEqual({ kind: 'read', watermark: answer.id });
    await waitFor(
      async () => {
        const stats = await t.admin.get(
          `/api/v1/bots/${botId}/referrals/${spring.id}/stats?interval=day&timeZone=UTC`,
        );
        const widget = stats.body.byChannel.find(
          (c: { channel: string }) => c.channel === 'widget',
        );
        return widget?.answersRead === 1 && widget?.answersDelivered === 1;
      },
      { what: 'the answer counted delivered and read on channel widget' },
    );

    const other = await newPage();
    await other.goto(`${t.http.baseUrl}/chat/${widgetKey}`);
    // Markup in content is shown as text, never parsed.
    await shownIn(other, 'Welcome <b>friend</b>!');
    expect(await other.locator('.bp-bot b').count()).toBe(0);
    await other.getByRole('button', { name: 'FAQ' }).click();
    await shownIn(other, 'Shipping takes 2 days, friend.');
    expect(await other.locator('.bp-mine').allTextContents()).toEqual(['FAQ']);
    if (SHOTS) await other.screenshot({ path: `${SHOTS}/hosted-page.png` });
  });

  it('answers 404 with a page for an unknown key', async () => {
    const page = await newPage();
    const response = await page.goto(`${t.http.baseUrl}/chat/wk_nope`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('.bp-missing').textContent()).toBe('This chat does not exist.');
  });

  it('widget.js on another site opens with ?bp_ref= and answers BotWidget.identify and referral()', async () => {
    const size = (await t.http.get('/widget.js')).text.length;
    expect(size).toBeLessThan(120 * 1024);
    const page = await newPage();
    await page.goto(`${hostUrl}/landing?bp_ref=spring`);
    const frame = await waitFor(
      () => page.frames().find((f) => f.url().includes(`/chat/${widgetKey}`)),
      { timeoutMs: 20_000, what: 'the chat frame' },
    );
    await shownIn(frame, 'Hi there, spring deals via spring!');
    // Runs in the page (a string: the test program has no DOM types).
    await page.evaluate(`BotWidget.identify({ firstName: 'Ada', lastName: 'Lovelace', externalId: 'u-1' });
      BotWidget.referral('summer');`);
    await shownIn(frame, 'Summer for Ada');
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/host-page.png` });

    const entries = await t.db.query(
      `SELECT e.source, e.raw_ref, e.referer_uri, c.channel, c.first_name
         FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
        WHERE e.bot_id = $1 AND e.referer_uri LIKE $2 ORDER BY e.occurred_at`,
      [botId, `${hostUrl}%`],
    );
    expect(entries.rows).toEqual([
      {
        source: 'WIDGET_LINK',
        raw_ref: 'spring',
        referer_uri: `${hostUrl}/landing?bp_ref=spring`,
        channel: 'widget',
        first_name: 'Ada',
      },
      {
        source: 'WIDGET_API',
        raw_ref: 'summer',
        referer_uri: `${hostUrl}/landing?bp_ref=spring`,
        channel: 'widget',
        first_name: 'Ada',
      },
    ]);
    const members = await t.db.query(
      `SELECT s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id
         JOIN contacts c ON c.id = m.contact_id
        WHERE c.channel = 'widget' AND c.first_name = 'Ada' ORDER BY s.name`,
    );
    expect(members.rows).toEqual([{ name: 'Spring visitors' }, { name: 'Summer visitors' }]);
  });

  it('raised no uncaught errors in any page', () => {
    expect(errors).toEqual([]);
  });
});
