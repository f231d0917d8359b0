import { InboxPurgeTask } from '../../src/messenger/inbound/inbox-purge.task';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  deliveryReceipt,
  delivery,
  echo,
  envelope,
  getStartedWithRef,
  readReceipt,
  referral,
  signBody,
  textMessage,
} from '../support/messenger-payloads';
import { TEST_APP_SECRET, TEST_VERIFY_TOKEN } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { changeSchema } from '../support/schema-change';

describe('Messenger webhook intake', () => {
  let t: MessengerTestApp;
  const inboxCount = (): Promise<number> => t.count('SELECT count(*) AS n FROM messenger_inbox');

  beforeAll(async () => {
    t = await startMessengerApp();
    await createReferral(t.admin, t.botId, {
      trackingParam: 'intake',
      content: text('Hello from intake'),
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  describe('verification handshake', () => {
    it('echoes the challenge for the right verify token', async () => {
      const ok = await t.http.get(
        `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=1158201444`,
      );
      expect(ok.status).toBe(200);
      expect(ok.text).toBe('1158201444');
    });

    it('answers 403 for a wrong token or mode, and never logs the token', async () => {
      for (const query of [
        'hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1',
        `hub.mode=unsubscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=1`,
        'hub.challenge=1',
      ]) {
        const response = await t.http.get(`/webhooks/messenger?${query}`);
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('INVALID_VERIFY_TOKEN');
      }
      expect(t.logs.text).not.toContain(TEST_VERIFY_TOKEN);
    });
  });

  describe('signature', () => {
    const body = (): string =>
      JSON.stringify(
        delivery(t.pageId, [
          getStartedWithRef({ pageId: t.pageId, psid: 'sig-user', ref: 'intake' }),
        ]),
      );

    it('refuses a missing or wrong signature with 403 and stores nothing', async () => {
      const before = await inboxCount();
      const raw = body();
      for (const signature of [
        undefined,
        'sha256=00',
        signBody(raw, 'another-secret'),
        signBody(`${raw} `, TEST_APP_SECRET),
      ]) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (signature) headers['x-hub-signature-256'] = signature;
        const response = await t.http.request('POST', '/webhooks/messenger', { raw, headers });
        expect(response.status).toBe(403);
        expect(response.body.code).toBe('INVALID_SIGNATURE');
      }
      expect(await inboxCount()).toBe(before);
      expect(t.graph.sends).toHaveLength(0);
    });

    it('logs a refused delivery at info in the request line shape, and an accepted one not at all', async () => {
      const raw = body();
      const post = (id: string, signature: string): Promise<{ status: number }> =>
        t.http.request('POST', '/webhooks/messenger', {
          raw,
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': signature,
            'x-request-id': id,
          },
        });
      expect((await post('refused-delivery-1', 'sha256=00')).status).toBe(403);
      expect((await post('accepted-delivery-1', signBody(raw, TEST_APP_SECRET))).status).toBe(200);
      const lines = (): { level: number; msg: string; req?: { id?: string }; res?: unknown }[] =>
        t.logs.lines.map((line) => JSON.parse(line));
      await waitFor(() => lines().some((line) => line.req?.id === 'refused-delivery-1'));
      expect(lines().filter((line) => line.req?.id === 'refused-delivery-1')).toEqual([
        expect.objectContaining({
          level: 30,
          msg: 'request completed',
          req: expect.objectContaining({ method: 'POST', url: '/webhooks/messenger' }),
          res: expect.objectContaining({ statusCode: 403 }),
          responseTime: expect.any(Number),
        }),
      ]);
      expect(lines().filter((line) => line.req?.id === 'accepted-delivery-1')).toEqual([]);
    });

    it('verifies the raw bytes: a non-ASCII body is signed over its escaped form', async () => {
      const value = delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'unicode-user', text: 'Grüße aus Köln 😀' }),
      ]);
      const accepted = await t.deliver(value);
      expect(accepted.status).toBe(200);
      // The same event signed over re-serialised (unescaped) JSON but sent escaped must fail.
      const escaped = JSON.stringify(value).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      const resigned = await t.http.request('POST', '/webhooks/messenger', {
        raw: escaped,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(JSON.stringify(value), TEST_APP_SECRET),
        },
      });
      expect(resigned.status).toBe(403);
      await t.settle();
      const logged = await t.db.query(
        `SELECT text FROM messages WHERE direction = 'in' AND event_kind = 'text' AND text LIKE 'Grüße%'`,
      );
      expect(logged.rows).toEqual([{ text: 'Grüße aus Köln 😀' }]);
    });
  });

  describe('text Postgres cannot store as is', () => {
    it('stores and answers an item with a NUL and a lone surrogate, cleaned', async () => {
      const value = delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'nul-user', text: 'a\u0000b \ud83d c' }),
        getStartedWithRef({ pageId: t.pageId, psid: 'nul-user-2', ref: 'intake' }),
      ]);
      const accepted = await t.deliver(value);
      expect(accepted.status).toBe(200);
      await t.settle();
      const logged = await t.db.query(
        `SELECT text FROM messages WHERE direction = 'in' AND event_kind = 'text' AND text LIKE 'ab%'`,
      );
      expect(logged.rows).toEqual([{ text: 'ab \ufffd c' }]);
      expect(t.graph.sends.map((send) => send.recipient?.id)).toEqual(['nul-user-2']);
    });

    it('keeps the items Postgres takes when it refuses one, and answers 503 so Meta redelivers', async () => {
      await changeSchema(
        t.db,
        `
        CREATE FUNCTION refuse_item() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'item refused for the test'; END $$;
        CREATE TRIGGER refuse_item BEFORE INSERT ON messenger_inbox
          FOR EACH ROW WHEN (NEW.payload->'message'->>'text' = 'refuse me') EXECUTE FUNCTION refuse_item();`,
      );
      const value = delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'refused-user', text: 'refuse me' }),
        getStartedWithRef({ pageId: t.pageId, psid: 'kept-user', ref: 'intake' }),
      ]);
      const stored = (): Promise<number> =>
        t.count(
          `SELECT count(*) AS n FROM messenger_inbox WHERE sender_key IN ('psid:refused-user', 'psid:kept-user')`,
        );
      try {
        const refused = await t.deliver(value);
        expect(refused.status).toBe(503);
        expect(refused.body.code).toBe('STORAGE_UNAVAILABLE');
        expect(await stored()).toBe(1);
      } finally {
        await changeSchema(
          t.db,
          'DROP TRIGGER refuse_item ON messenger_inbox; DROP FUNCTION refuse_item()',
        );
      }
      const redelivered = await t.deliver(value);
      expect(redelivered.status).toBe(200);
      expect(await stored()).toBe(2);
      await t.settle();
      expect(t.graph.sends.filter((send) => send.recipient?.id === 'kept-user')).toHaveLength(1);
    });
  });

  describe('bad bodies', () => {
    it('answers 400 for a body that is not JSON or not an envelope, storing nothing', async () => {
      const before = await inboxCount();
      const notJson = '{"object":"page","entry":[';
      const response = await t.http.request('POST', '/webhooks/messenger', {
        raw: notJson,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(notJson, TEST_APP_SECRET),
        },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('INVALID_JSON');
      for (const value of [
        { object: 42, entry: [] },
        { object: 'page' },
        { object: 'page', entry: { id: t.pageId } },
        [1, 2],
      ]) {
        const bad = await t.deliver(value);
        expect(bad.status).toBe(400);
        expect(bad.body.code).toBe('INVALID_WEBHOOK_BODY');
      }
      expect(await inboxCount()).toBe(before);
    });
  });

  it('stores every item of several entries in one POST and answers each', async () => {
    const now = Date.now();
    const value = envelope([
      {
        pageId: t.pageId,
        messaging: [
          getStartedWithRef({ pageId: t.pageId, psid: 'multi-1', ref: 'intake', timestamp: now }),
          getStartedWithRef({
            pageId: t.pageId,
            psid: 'multi-2',
            ref: 'intake',
            timestamp: now + 1,
          }),
        ],
      },
      {
        pageId: t.pageId,
        messaging: [
          referral({ pageId: t.pageId, psid: 'multi-3', ref: 'intake', timestamp: now + 2 }),
        ],
      },
    ]);
    expect((await t.deliver(value)).status).toBe(200);
    const sends = await t.graph.waitForSends(3);
    expect(sends.map((s) => s.recipient?.id).sort()).toEqual(['multi-1', 'multi-2', 'multi-3']);
    expect(
      sends.every((s) => s.accessToken === t.pageToken && s.messagingType === 'RESPONSE'),
    ).toBe(true);
    await t.settle();
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries WHERE contact_id IN (SELECT id FROM contacts WHERE external_id LIKE 'multi-%')`,
      ),
    ).toBe(3);
  });

  it('handles the same delivery sent three times once: one entry, one reply', async () => {
    const value = delivery(t.pageId, [
      getStartedWithRef({ pageId: t.pageId, psid: 'dup-user', ref: 'intake' }),
    ]);
    const responses = await Promise.all([t.deliver(value), t.deliver(value), t.deliver(value)]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    await t.graph.waitForSends(1);
    await t.quiesce();
    expect(t.graph.sendsTo('dup-user')).toHaveLength(1);
    const contact = `(SELECT id FROM contacts WHERE external_id = 'dup-user')`;
    expect(
      await t.count(`SELECT count(*) AS n FROM referral_entries WHERE contact_id = ${contact}`),
    ).toBe(1);
    expect(
      await t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE sender_key = 'psid:dup-user'`),
    ).toBe(1);
    // Without a mid (messaging_referrals), the dedupe key still recognises the redelivery.
    const noMid = delivery(t.pageId, [
      referral({ pageId: t.pageId, psid: 'dup-user', ref: 'intake', timestamp: 1795000000000 }),
    ]);
    await t.deliver(noMid);
    await t.deliver(noMid);
    await t.graph.waitForSends(2);
    await t.settle();
    expect(
      await t.count(`SELECT count(*) AS n FROM referral_entries WHERE contact_id = ${contact}`),
    ).toBe(2);
  });

  it('acknowledges items of a page no bot has, recording them as ignored', async () => {
    const value = delivery('999000999000', [
      getStartedWithRef({ pageId: '999000999000', psid: 'stranger', ref: 'intake' }),
    ]);
    expect((await t.deliver(value)).status).toBe(200);
    const rows = await t.db.query(
      `SELECT status, note FROM messenger_inbox WHERE page_id = '999000999000'`,
    );
    expect(rows.rows).toEqual([{ status: 'ignored', note: 'PAGE_NOT_CONNECTED' }]);
  });

  it('stores echoes as ignored, and receipts as processed (for referral funnels), without answering', async () => {
    const value = delivery(t.pageId, [
      deliveryReceipt({ pageId: t.pageId, psid: 'receipts', mids: ['m_1'] }),
      readReceipt({ pageId: t.pageId, psid: 'receipts', watermark: Date.now() }),
      echo({ pageId: t.pageId, psid: 'receipts', text: 'what the page said' }),
    ]);
    expect((await t.deliver(value)).status).toBe(200);
    await t.settle();
    const rows = await t.db.query(
      `SELECT kind, status FROM messenger_inbox WHERE payload::text LIKE '%receipts%' ORDER BY id`,
    );
    expect(rows.rows).toEqual([
      { kind: 'delivery', status: 'processed' },
      { kind: 'read', status: 'processed' },
      { kind: 'echo', status: 'ignored' },
    ]);
    // Receipts are no conversation turn: nothing logged as said by the contact.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
           JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'receipts'`,
      ),
    ).toBe(0);
    await t.quiesce();
    expect(t.graph.sends).toHaveLength(0);
  });
});

describe('Inbox retention', () => {
  let t: MessengerTestApp;
  beforeAll(async () => {
    t = await startMessengerApp();
  });
  afterAll(() => t.close());

  it('purges handled items past the retention and keeps recent ones', async () => {
    const insert = (key: string, status: string, age: string): Promise<unknown> =>
      t.db.query(
        `INSERT INTO messenger_inbox (dedupe_key, page_id, kind, occurred_at, payload, status, received_at)
         VALUES ($1, '1', 'message', now(), '{}', $2, now() - $3::interval)`,
        [key, status, age],
      );
    await insert('old-processed', 'processed', '20 days');
    await insert('old-ignored', 'ignored', '15 days');
    await insert('old-pending', 'pending', '20 days');
    await insert('recent-processed', 'processed', '2 days');
    await t.db.query(
      `UPDATE messenger_inbox SET status = 'processed' WHERE dedupe_key = 'old-pending'`,
    );
    await t.db.query(
      `UPDATE messenger_inbox SET status = 'pending' WHERE dedupe_key = 'old-pending'`,
    );
    expect(await t.app.get(InboxPurgeTask).purge()).toBe(2);
    const left = await t.db.query(`SELECT dedupe_key FROM messenger_inbox ORDER BY dedupe_key`);
    expect(left.rows.map((r: { dedupe_key: string }) => r.dedupe_key)).toEqual([
      'old-pending',
      'recent-processed',
    ]);
  });
});
