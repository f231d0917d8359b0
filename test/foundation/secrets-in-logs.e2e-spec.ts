import { randomBytes } from 'node:crypto';
import { createApiKey, createBot, createReferral } from '../support/fixtures';
import { type MessengerTestApp, startMessengerApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/test-app';

/**
 * A run that puts every configured secret where a careless log line would pick it up (query
 * strings under encoded names, paths, failed Graph calls), then scans every line the app logged.
 */
describe('No secret reaches a log line', () => {
  const secretsKey = randomBytes(32).toString('hex');
  let t: MessengerTestApp;
  let keys: string[];

  beforeAll(async () => {
    t = await startMessengerApp({ LOG_LEVEL: 'debug', SECRETS_KEY: secretsKey });
    const other = await createBot(t.admin, 'Other tenant');
    keys = [await createApiKey(t.admin, t.botId), await createApiKey(t.admin, other.id)];
  });
  afterAll(() => t.close());

  const secrets = (): Record<string, string> => ({
    adminToken: t.config.adminToken,
    secretsKey,
    appSecret: TEST_APP_SECRET,
    verifyToken: TEST_VERIFY_TOKEN,
    pageToken: t.pageToken,
    botKeyA: keys[0],
    botKeyB: keys[1],
  });

  it('exercises each secret, then finds none of them, plain or encoded, in any log line', async () => {
    const handshake = (name: string): string =>
      `/webhooks/messenger?hub.mode=subscribe&${name}=${encodeURIComponent(TEST_VERIFY_TOKEN)}&hub.challenge=42`;
    for (const name of [
      'hub.verify_token',
      'hub%2Everify_token',
      'hub%2everify%5Ftoken',
      'HUB.VERIFY_TOKEN',
      'hub.verify_token[]',
    ]) {
      await t.http.get(handshake(name));
    }
    // The encoded name is still the handshake's parameter: it must work, and stay out of the logs.
    expect((await t.http.get(handshake('hub%2Everify_token'))).text).toBe('42');

    for (const [name, value] of Object.entries(secrets())) {
      const encoded = encodeURIComponent(value);
      await t.http.get(`/api/v1/bots?${name}=${encoded}&token=${encoded}&note=${encoded}`, {
        token: value,
      });
      await t.http.get(`/api/v1/bots/${encoded}`, { token: value });
      await t.http.get(`/webhooks/messenger/${encoded}?x=${encoded}`);
      await t.http.request('GET', `/health?${encodeURIComponent(name)}=${encoded}`);
    }
    for (const key of keys) {
      await t.http.get(`/api/v1/bots/${t.botId}`, { token: key });
      await t.http.delete(`/api/v1/bots/${t.botId}`, { token: key });
    }

    // The page token travels in Graph URLs: a send that fails and one that succeeds.
    await createReferral(t.admin, t.botId, { trackingParam: 'logs' });
    t.graph.failNext(1, {
      status: 400,
      error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 },
    });
    for (const psid of ['5550001', '5550002']) {
      const answer = await t.deliver(
        delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: 'logs' })]),
      );
      expect(answer.status).toBe(200);
    }
    await t.settle();
    expect(t.graph.sendsTo('5550002').length).toBeGreaterThan(0);

    const lines = t.logs.lines;
    expect(lines.length).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(secrets())) {
      const forms = [value, encodeURIComponent(value)];
      for (const line of lines) {
        if (forms.some((form) => line.includes(form))) leaks.push(`${name}: ${line.slice(0, 300)}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
