import { connectPage, createBot, createReferral } from '../support/fixtures';
import { TcpProxy } from '../support/tcp-proxy';
import { Pool } from 'pg';
import { ClickRecorder } from '../../src/referrals/tracked-links/click-recorder';
import { PG_URL, startTestApp, type TestApp, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { BROWSER, click, clickCount, rollupTotals, waitForClicks } from './clicks';

const PREVIEWS: [string, string][] = [
  ['Facebook', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
  ['WhatsApp', 'WhatsApp/2.23.20.0'],
  ['Slack', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)'],
  ['Telegram', 'TelegramBot (like TwitterBot)'],
  ['Twitter/X', 'Twitterbot/1.0'],
  [
    'LinkedIn',
    'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
  ],
  ['Discord', 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)'],
  ['Google', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
];

describe('Tracked links /r/{botId}/{trackingParam}', () => {
  let t: TestApp;
  let botId: string;
  let widgetKey: string;
  let spring: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    const bot = await createBot(t.admin, 'Tracked');
    botId = bot.id;
    widgetKey = bot.channels.widget.widgetKey;
    await connectPage(t.admin, botId, '101010101010', 'acme.shoes');
    spring = await createReferral(t.admin, botId, { trackingParam: 'Spring-Sale' });
  });
  afterAll(() => t.close());
  // A click is buffered after its redirect answers: write the earlier tests' clicks first, so a
  // test counting from `clickCount` counts its own (a late one once stood in for a test's click).
  beforeEach(() => t.app.get(ClickRecorder).flush());

  it('redirects a person to the Messenger link, case-insensitively, never cached, and counts the click', async () => {
    const response = await click(t, `/r/${botId}/spring-sale`);
    expect(response.status).toBe(302);
    expect(response.location).toBe('https://m.me/acme.shoes?ref=Spring-Sale');
    expect(response.headers.get('cache-control')).toBe('no-store');
    await waitForClicks(t.db, botId, 1);
    const { rows } = await t.db.query(
      `SELECT referral_id, tracking_param, is_bot, target, octet_length(clicker) AS bytes FROM referral_clicks`,
    );
    expect(rows).toEqual([
      {
        referral_id: spring.id,
        tracking_param: 'spring-sale',
        is_bot: false,
        target: 'messenger',
        bytes: 16,
      },
    ]);
    expect(await rollupTotals(t.db, spring.id)).toEqual({
      clicks: 1,
      uniqueClicks: 1,
      botClicks: 0,
    });
  });

  it('sends to the widget page with ?to=widget, and ignores other query parameters', async () => {
    const response = await click(t, `/r/${botId}/Spring-Sale?to=widget&utm_source=news`);
    expect(response.status).toBe(302);
    expect(response.location).toBe(`https://bots.example.com/chat/${widgetKey}?ref=Spring-Sale`);
  });

  it('sends to the widget page when the bot has no Facebook Page', async () => {
    const bot = await createBot(t.admin, 'No page');
    const referral = await createReferral(t.admin, bot.id, { trackingParam: 'web' });
    const response = await click(t, `/r/${bot.id}/web`);
    expect(response.location).toBe(
      `https://bots.example.com/chat/${bot.channels.widget.widgetKey}?ref=web`,
    );
    await waitForClicks(t.db, bot.id, 1);
    expect(await rollupTotals(t.db, referral.id)).toEqual({
      clicks: 1,
      uniqueClicks: 1,
      botClicks: 0,
    });
    const unknown = await click(t, `/r/${bot.id}/nothing-here`);
    expect(unknown.location).toBe(`https://bots.example.com/chat/${bot.channels.widget.widgetKey}`);
  });

  it('an unknown or inactive param still reaches the bot, without a ref, and is recorded as unknown', async () => {
    await createReferral(t.admin, botId, { trackingParam: 'paused', active: false });
    const before = await rollupTotals(t.db, spring.id);
    for (const param of ['no-such-param', 'paused', 'x'.repeat(150), 'caf%C3%A9%00']) {
      const response = await click(t, `/r/${botId}/${param}`);
      expect(response.status).toBe(302);
      expect(response.location).toBe('https://m.me/acme.shoes');
    }
    await waitForClicks(t.db, botId, 6);
    const { rows } = await t.db.query(
      `SELECT tracking_param FROM referral_clicks WHERE referral_id IS NULL AND bot_id = $1 ORDER BY id`,
      [botId],
    );
    // Kept as given, cut to 100 characters and without NUL (which Postgres text cannot hold).
    expect(rows.map((row) => row.tracking_param)).toEqual([
      'no-such-param',
      'paused',
      'x'.repeat(100),
      'café',
    ]);
    expect(await rollupTotals(t.db, spring.id)).toEqual(before);
  });

  it('counts crawlers and link previews as botClicks, not clicks', async () => {
    const before = await rollupTotals(t.db, spring.id);
    const start = await clickCount(t.db, botId);
    for (const [, userAgent] of PREVIEWS) {
      const response = await click(t, `/r/${botId}/Spring-Sale`, { userAgent });
      expect(response.status).toBe(302);
    }
    await click(t, `/r/${botId}/Spring-Sale`, { userAgent: null });
    await click(t, `/r/${botId}/Spring-Sale`, { method: 'HEAD' });
    await waitForClicks(t.db, botId, start + PREVIEWS.length + 2);
    expect(await rollupTotals(t.db, spring.id)).toEqual({
      ...before,
      botClicks: before.botClicks + PREVIEWS.length + 2,
    });
  });

  it('one person clicking twice is one unique click; another browser is another', async () => {
    const before = await rollupTotals(t.db, spring.id);
    const start = await clickCount(t.db, botId);
    await click(t, `/r/${botId}/Spring-Sale`, { userAgent: `${BROWSER} again` });
    await click(t, `/r/${botId}/Spring-Sale`, { userAgent: `${BROWSER} again` });
    await click(t, `/r/${botId}/Spring-Sale`, { userAgent: `${BROWSER} other` });
    await waitForClicks(t.db, botId, start + 3);
    expect(await rollupTotals(t.db, spring.id)).toEqual({
      ...before,
      clicks: before.clicks + 3,
      uniqueClicks: before.uniqueClicks + 2,
    });
  });

  it('does not read X-Forwarded-For unless TRUST_PROXY says so, and stores no address', async () => {
    const before = await rollupTotals(t.db, spring.id);
    const start = await clickCount(t.db, botId);
    for (const ip of ['198.51.100.1', '198.51.100.2']) {
      await click(t, `/r/${botId}/Spring-Sale`, {
        userAgent: `${BROWSER} proxied`,
        headers: { 'x-forwarded-for': ip },
      });
    }
    await waitForClicks(t.db, botId, start + 2);
    expect((await rollupTotals(t.db, spring.id)).uniqueClicks).toBe(before.uniqueClicks + 1);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM referral_clicks c
        WHERE row_to_json(c)::text LIKE '%198.51.100%' OR row_to_json(c)::text LIKE '%127.0.0.1%'`,
    );
    expect(rows[0].n).toBe(0);
  });

  it('writes no request log line for a click, so its address reaches no log', async () => {
    await click(t, `/r/${botId}/Spring-Sale`, { userAgent: `${BROWSER} unlogged` });
    await click(t, `/api/v1/bots/${botId}`);
    // The request after it is logged: had the click been, its line would be there before.
    await waitFor(() =>
      t.logs.lines.some((line) => line.includes(`"url":"/api/v1/bots/${botId}"`)),
    );
    expect(t.logs.lines.filter((line) => line.includes('"url":"/r/'))).toEqual([]);
  });

  it('answers 404 BOT_NOT_FOUND in the error body for a bot that does not exist', async () => {
    for (const path of [
      `/r/00000000-0000-4000-8000-000000000000/Spring-Sale`,
      `/r/not-a-uuid/Spring-Sale`,
    ]) {
      const response = await click(t, path);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ statusCode: 404, code: 'BOT_NOT_FOUND' });
    }
  });

  it('carries the longest params, URL-encoded, through', async () => {
    const param = `${'='.repeat(99)}a`;
    const referral = await createReferral(t.admin, botId, { trackingParam: param });
    const start = await clickCount(t.db, botId);
    const response = await click(t, `/r/${botId}/${encodeURIComponent(param)}`);
    expect(response.location).toBe(`https://m.me/acme.shoes?ref=${encodeURIComponent(param)}`);
    await waitForClicks(t.db, botId, start + 1);
    expect(await rollupTotals(t.db, referral.id)).toMatchObject({ clicks: 1 });
  });

  it('follows a renamed or deactivated param at once in the process that changed it', async () => {
    const referral = await createReferral(t.admin, botId, { trackingParam: 'rename-me' });
    expect((await click(t, `/r/${botId}/rename-me`)).location).toContain('?ref=rename-me');
    await t.admin.patch(`/api/v1/bots/${botId}/referrals/${referral.id}`, {
      trackingParam: 'renamed',
    });
    expect((await click(t, `/r/${botId}/rename-me`)).location).toBe('https://m.me/acme.shoes');
    expect((await click(t, `/r/${botId}/renamed`)).location).toContain('?ref=renamed');
  });
});

describe('Tracked links behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  it('tells clickers apart by X-Forwarded-For', async () => {
    const bot = await createBot(t.admin, 'Proxied');
    const referral = await createReferral(t.admin, bot.id, { trackingParam: 'p' });
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.2']) {
      await click(t, `/r/${bot.id}/p`, { headers: { 'x-forwarded-for': ip } });
    }
    await waitForClicks(t.db, bot.id, 3);
    expect(await rollupTotals(t.db, referral.id)).toEqual({
      clicks: 3,
      uniqueClicks: 2,
      botClicks: 0,
    });
  });

  it('writes the clicks still buffered when the app shuts down', async () => {
    const bot = await createBot(t.admin, 'Closing');
    await createReferral(t.admin, bot.id, { trackingParam: 'last' });
    for (let i = 0; i < 5; i++) {
      await click(t, `/r/${bot.id}/last`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } });
    }
    // What Nest calls first when the app closes, before any connection goes.
    await t.app.get(ClickRecorder).beforeApplicationShutdown();
    expect(await clickCount(t.db, bot.id)).toBe(5);
  });
});

describe('Tracked links while Postgres is away', () => {
  const postgres = new TcpProxy('127.0.0.1', 5432);
  const databaseName = uniqueName('bp_test_pg');
  // The suite's own pool goes straight to Postgres: the app's goes through the proxy that is cut.
  const direct = new Pool({ connectionString: `${PG_URL}/${databaseName}`, max: 2 });
  let t: TestApp;

  beforeAll(async () => {
    const port = await postgres.start();
    t = await startTestApp({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/${databaseName}`,
    });
  });
  afterAll(async () => {
    await postgres.restore();
    await direct.end();
    await t.close();
    await postgres.cut();
  });

  it('still redirects from what it knew, keeps the clicks, and writes them once Postgres is back', async () => {
    const bot = await createBot(t.admin, 'Outage');
    await connectPage(t.admin, bot.id, '202020202020', 'outage.page');
    const referral = await createReferral(t.admin, bot.id, { trackingParam: 'outage' });
    expect((await click(t, `/r/${bot.id}/outage`)).status).toBe(302);
    await waitForClicks(direct, bot.id, 1);

    await postgres.cut();
    for (let i = 0; i < 20; i++) {
      const response = await click(t, `/r/${bot.id}/outage`, { userAgent: `${BROWSER} ${i}` });
      expect(response.status).toBe(302);
      expect(response.location).toBe('https://m.me/outage.page?ref=outage');
    }
    await postgres.restore();
    await waitForClicks(direct, bot.id, 21);
    expect(await rollupTotals(direct, referral.id)).toEqual({
      clicks: 21,
      uniqueClicks: 21,
      botClicks: 0,
    });
  });
});
