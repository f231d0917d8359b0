import fc from 'fast-check';
import { createReferral, text } from '../support/fixtures';
import { type HttpResponse } from '../support/http';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  checkboxReply,
  delivery,
  getStartedWithRef,
  newMid,
  optin,
  referral,
  signBody,
  textMessage,
} from '../support/messenger-payloads';
import { TEST_APP_SECRET } from '../support/test-app';

/**
 * Issue 8, case 1: whatever a signed delivery holds, it is answered 200 while Postgres is up. What
 * Postgres cannot hold (NUL, lone surrogates, in keys and values) is cleaned; an item whose ids
 * were unstorable, or that nests thousands of levels deep, is recorded as ignored with a reason;
 * the other items of the same delivery are still answered.
 */
describe('Junk in signed deliveries', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp();
    await createReferral(t.admin, t.botId, {
      trackingParam: 'junk',
      content: text('Hello from junk'),
      segmentName: 'Junk',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  /** POSTs raw JSON text signed as Meta signs it (the bytes as sent). */
  function deliverRaw(raw: string): Promise<HttpResponse> {
    return t.http.request('POST', '/webhooks/messenger', {
      raw,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signBody(raw, TEST_APP_SECRET),
      },
    });
  }

  /**
   * The inbox rows of the senders `senderKeyLike` matches, ignored ones first (the ids of one
   * delivery's rows follow no order: its batch stores the pending ones with ids taken ahead).
   */
  const inbox = async (
    senderKeyLike: string,
  ): Promise<{ status: string; note: string | null; payload: unknown }[]> =>
    (
      await t.db.query(
        `SELECT status, note, payload FROM messenger_inbox WHERE sender_key LIKE $1
          ORDER BY status, id`,
        [senderKeyLike],
      )
    ).rows;

  /** A good item beside the odd one: it must be answered as if alone. */
  const good = (psid: string): ReturnType<typeof getStartedWithRef> =>
    getStartedWithRef({ pageId: t.pageId, psid, ref: 'junk' });

  it('cleans a NUL in an object key (the issue input) and answers the message', async () => {
    const raw =
      `{"object":"page","entry":[{"id":"${t.pageId}","time":1,"messaging":[{"sender":{"id":"9000000000001","\\u0000":1},` +
      `"recipient":{"id":"${t.pageId}"},"timestamp":1796000000000,"message":{"mid":"m_nulkey","text":"hi"}}]}]}`;
    const response = await deliverRaw(raw);
    expect(response.status).toBe(200);
    const rows = await inbox('psid:9000000000001');
    expect(rows).toHaveLength(1);
    expect(rows[0].payload).toMatchObject({ sender: { id: '9000000000001', '': 1 } });
  });

  it('cleans a lone surrogate in a key inside message, and the rest of the delivery is answered', async () => {
    const raw = JSON.stringify(
      delivery(t.pageId, [
        {
          sender: { id: 'surrogate-key' },
          recipient: { id: t.pageId },
          timestamp: Date.now(),
          message: { mid: newMid(), text: 'hi', '\ud800k': true },
        },
        good('surrogate-key-neighbour'),
      ]),
    );
    expect(raw).toContain('\\ud800k');
    expect((await deliverRaw(raw)).status).toBe(200);
    await t.settle();
    const [row] = await inbox('psid:surrogate-key');
    expect(row.status).toBe('processed');
    expect(row.payload).toMatchObject({ message: { text: 'hi', '\ufffdk': true } });
    expect(t.graph.sendsTo('surrogate-key-neighbour')).toHaveLength(1);
  });

  it.each<[string, (psid: string) => Record<string, unknown>, string]>([
    [
      'sender.id',
      (psid) => textMessage({ pageId: 'PAGE', psid: `${psid}\u0000x`, text: 'hi' }),
      'UNSTORABLE_ID: sender.id',
    ],
    [
      'a mid',
      (psid) => textMessage({ pageId: 'PAGE', psid, text: 'hi', mid: 'm_\u0000' }),
      'UNSTORABLE_ID: message.mid',
    ],
    [
      'a user_ref',
      (psid) => optin({ pageId: 'PAGE', userRef: `${psid}\u0000`, ref: 'junk' }),
      'UNSTORABLE_ID: optin.user_ref; UNSTORABLE_ID: sender.user_ref',
    ],
  ])(
    'records an item with a NUL in %s as ignored and answers its neighbours',
    async (_f, make, note) => {
      const psid = `nul-${Math.random().toString(36).slice(2)}`;
      const odd = JSON.parse(JSON.stringify(make(psid)).replaceAll('PAGE', t.pageId));
      const response = await t.deliver(delivery(t.pageId, [odd, good(`${psid}-neighbour`)]));
      expect(response.status).toBe(200);
      await t.settle();
      const rows = await inbox(`%${psid}%`);
      expect(rows.map((row) => [row.status, row.note])).toEqual([
        ['ignored', note],
        ['processed', null],
      ]);
      expect(t.graph.sends.map((send) => send.recipient)).toEqual([{ id: `${psid}-neighbour` }]);
    },
  );

  it('cleans a NUL in the ref of a messaging_referrals item and records the entry', async () => {
    const item = referral({ pageId: t.pageId, psid: 'nul-ref', ref: 'ju\u0000nk' });
    expect((await t.deliver(delivery(t.pageId, [item]))).status).toBe(200);
    await t.settle();
    const [row] = await inbox('psid:nul-ref');
    expect(row.status).toBe('processed');
    expect(t.graph.sendsTo('nul-ref').map((send) => send.message)).toEqual([
      { text: 'Hello from junk' },
    ]);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id WHERE c.external_id = 'nul-ref'`,
      ),
    ).toBe(1);
  });

  it('does not join a PSID to the contact a NUL-damaged checkbox identifier would name once cleaned', async () => {
    await t.deliver(
      delivery(t.pageId, [
        optin({ pageId: t.pageId, userRef: 'jk-ref', ref: 'junk', omitSender: true }),
      ]),
    );
    await t.settle();
    const reply = checkboxReply({
      pageId: t.pageId,
      psid: 'jk-psid',
      userRef: 'jk-r\u0000ef',
      text: 'hi',
    });
    expect((await t.deliver(delivery(t.pageId, [reply]))).status).toBe(200);
    await t.settle();
    const [row] = await inbox('psid:jk-psid');
    expect([row.status, row.payload]).toEqual([
      'processed',
      expect.objectContaining({ prior_message: { source: 'checkbox_plugin', identifier: null } }),
    ]);
    const contacts = await t.db.query(
      `SELECT external_id AS "externalId" FROM contacts WHERE external_id IN ('jk-ref', 'jk-psid') ORDER BY 1`,
    );
    expect(contacts.rows).toEqual([{ externalId: 'jk-psid' }, { externalId: 'jk-ref' }]);
  });

  it.each([4_100, 20_000])(
    'records an item nested %i levels deep as ignored, and answers its neighbour',
    async (depth) => {
      const psid = `deep-${depth}`;
      const neighbour = JSON.stringify(good(`${psid}-neighbour`));
      const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const raw =
        `{"object":"page","entry":[{"id":"${t.pageId}","time":1,"messaging":[` +
        `{"sender":{"id":"${psid}"},"recipient":{"id":"${t.pageId}"},"timestamp":${Date.now()},` +
        `"message":{"mid":"${newMid()}","text":"deep","extra":${deep}}},${neighbour}]}]}`;
      expect((await deliverRaw(raw)).status).toBe(200);
      await t.settle();
      const rows = await inbox(`psid:${psid}%`);
      expect(rows.map((row) => [row.status, row.note])).toEqual([
        ['ignored', 'TOO_DEEP: nested deeper than 200 levels'],
        ['processed', null],
      ]);
      expect(t.graph.sendsTo(`${psid}-neighbour`)).toHaveLength(1);
    },
  );

  it.each<[string, (deep: string, neighbour: string) => string]>([
    [
      'beside the entries',
      (deep, n) => `{"object":"page","x":${deep},"entry":[{"id":"PAGE","messaging":[${n}]}]}`,
    ],
    [
      'in an entry',
      (deep, n) => `{"object":"page","entry":[{"id":"PAGE","x":${deep},"messaging":[${n}]}]}`,
    ],
    [
      'as an entry',
      (deep, n) => `{"object":"page","entry":[[${deep}],{"id":"PAGE","messaging":[${n}]}]}`,
    ],
    [
      'as an item',
      (deep, n) => `{"object":"page","entry":[{"id":"PAGE","messaging":[[${deep}],${n}]}]}`,
    ],
    ['in another object', (deep) => `{"object":"instagram","entry":[{"id":"1","x":${deep}}]}`],
  ])(
    'answers 200 for nesting 20,000 levels deep %s, and answers the neighbour',
    async (_p, body) => {
      const psid = `deep-${Math.random().toString(36).slice(2)}`;
      const deep = `${'[{"a":'.repeat(10_000)}1${'}]'.repeat(10_000)}`;
      const raw = body(deep, JSON.stringify(good(psid))).replaceAll('PAGE', t.pageId);
      expect((await deliverRaw(raw)).status).toBe(200);
      await t.settle();
      if (raw.includes('"page"')) expect(t.graph.sendsTo(psid)).toHaveLength(1);
    },
  );

  it("records parts of a page envelope that are not Meta's shape as ignored, and answers the rest", async () => {
    const before = await t.count(`SELECT count(*) AS n FROM messenger_inbox`);
    const since = (await t.db.query(`SELECT coalesce(max(id), 0) AS id FROM messenger_inbox`))
      .rows[0].id;
    const body = {
      object: 'page',
      entry: [
        null,
        { id: 'page\u0000x', time: 1, messaging: [good('malformed-lost')] },
        { id: t.pageId, time: 1, messaging: [7, good('malformed-neighbour')], standby: 'x' },
      ],
    };
    const response = await t.deliver(body);
    expect([response.status, response.text]).toEqual([200, 'EVENT_RECEIVED']);
    await t.settle();
    expect(t.graph.sendsTo('malformed-neighbour')).toHaveLength(1);
    expect(t.graph.sendsTo('malformed-lost')).toEqual([]);
    const rows = await t.db.query(
      `SELECT page_id AS "pageId", status, note FROM messenger_inbox
        WHERE note LIKE 'MALFORMED%' AND id > $1 ORDER BY note`,
      [since],
    );
    expect(rows.rows).toEqual([
      { pageId: '-', status: 'ignored', note: 'MALFORMED: entry[0] is not an object' },
      { pageId: '-', status: 'ignored', note: 'MALFORMED: entry[1].id is not a page id' },
      {
        pageId: t.pageId,
        status: 'ignored',
        note: 'MALFORMED: entry[2].messaging[0] is not an object',
      },
      { pageId: t.pageId, status: 'ignored', note: 'MALFORMED: entry[2].standby must be an array' },
    ]);
    // A redelivery is a duplicate of each.
    expect((await t.deliver(body)).status).toBe(200);
    expect(await t.count(`SELECT count(*) AS n FROM messenger_inbox`)).toBe(before + 5);
  });

  it('answers a __proto__ key with 200 too', async () => {
    const raw =
      `{"object":"page","entry":[{"id":"${t.pageId}","time":1,"messaging":[{"sender":{"id":"proto-user"},` +
      `"recipient":{"id":"${t.pageId}"},"timestamp":${Date.now()},"message":{"mid":"${newMid()}","text":"hi",` +
      `"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}]}]}`;
    expect((await deliverRaw(raw)).status).toBe(200);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(await inbox('psid:proto-user')).toHaveLength(1);
  });

  describe('property: no signed delivery gets a 5xx while Postgres is up', () => {
    /** Strings from every corner: NUL, lone surrogates of both halves, astral, escapes, long. */
    const junkString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }),
      fc.string({
        unit: fc.constantFrom('\u0000', '\ud800', '\udfff', '\\', '"', 'é', '😀', 'a'),
        maxLength: 8,
      }),
      fc.constantFrom('', '__proto__', 'constructor', 'prototype', 'toString', 'mid', 'ref', 'id'),
    );
    const junkValue = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        junkString,
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.constantFrom(Number.MAX_SAFE_INTEGER, -0, 1e308, 5e-324),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(junkString, tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    /** Meta-shaped items, with junk put in at any of their places and keys. */
    const junkItem = fc
      .record({
        psid: fc.oneof(fc.constantFrom('prop-a', 'prop-b', '2400000000000009'), junkString),
        mid: fc.oneof(junkString, fc.constant(undefined)),
        ref: fc.oneof(junkString, fc.constantFrom('junk')),
        shape: fc.constantFrom(
          'message',
          'postback',
          'referral',
          'optin',
          'notification',
          'prior_message',
          'pass_thread_control',
          'take_thread_control',
          'delivery',
          'read',
          'other',
        ),
        extraKey: junkString,
        extra: junkValue,
        timestamp: fc.oneof(fc.integer(), junkString, fc.double(), fc.constant(Date.now())),
      })
      .map(({ psid, mid, ref, shape, extraKey, extra, timestamp }) => {
        const event: Record<string, unknown> = {
          message: { mid, text: ref, [extraKey]: extra },
          postback: { mid, payload: ref, referral: { ref, source: extraKey }, [extraKey]: extra },
          referral: { ref, source: 'SHORTLINK', type: 'OPEN_THREAD', [extraKey]: extra },
          optin: { ref, user_ref: psid, type: extraKey, [extraKey]: extra },
          notification: {
            type: 'notification_messages',
            payload: ref,
            notification_messages_token: mid,
            notification_messages_status: extraKey,
            token_expiry_timestamp: extra,
            [extraKey]: extra,
          },
          prior_message: { source: 'checkbox_plugin', identifier: ref, [extraKey]: extra },
          pass_thread_control: { new_owner_app_id: extra, metadata: ref },
          take_thread_control: { previous_owner_app_id: extra, metadata: ref },
          delivery: { mids: [mid, extra], watermark: extra },
          read: { watermark: extra },
          other: { [extraKey]: extra },
        }[shape];
        return {
          sender: { id: psid, [extraKey]: extra },
          recipient: { id: t.pageId },
          timestamp,
          ...(shape === 'prior_message' && { message: { mid, text: ref } }),
          [shape === 'notification' ? 'optin' : shape]: event,
          [extraKey]: extra,
        };
      });

    /**
     * Entries of a page envelope: mostly Meta's shape, with junk keys beside its fields and, now
     * and then, a junk page id, time, item list or item (never a body that is no envelope at all).
     */
    const junkEntry = fc
      .record({
        // One in nine: a junk page id; one in ten: a junk item list instead of the items.
        oddId: fc.tuple(fc.nat(8), junkValue),
        time: fc.oneof(fc.constant(Date.now()), junkValue),
        extraKey: junkString,
        extra: junkValue,
        field: fc.constantFrom('messaging', 'standby'),
        items: fc.array(
          fc.oneof({ weight: 8, arbitrary: junkItem }, { weight: 1, arbitrary: junkValue }),
          { minLength: 1, maxLength: 4 },
        ),
        oddList: fc.tuple(fc.nat(9), junkValue),
      })
      .map(({ oddId, time, extraKey, extra, field, items, oddList }) => ({
        [extraKey]: extra,
        id: oddId[0] === 0 ? oddId[1] : t.pageId,
        time,
        [field]: oddList[0] === 0 ? oddList[1] : items,
      }));

    it('holds for 1,000 generated envelopes (fixed seed)', async () => {
      const statuses: number[] = [];
      await fc.assert(
        fc.asyncProperty(fc.array(junkEntry, { minLength: 1, maxLength: 2 }), async (entry) => {
          const response = await t.deliver({ object: 'page', entry });
          statuses.push(response.status);
          return response.status === 200;
        }),
        { seed: 8_2026, numRuns: 1_000, endOnFailure: true },
      );
      expect(statuses).toHaveLength(1_000);
      // Not one 5xx, nor any other refusal: every signed page envelope is acknowledged.
      expect(statuses.filter((status) => status !== 200)).toEqual([]);
      // The items were stored (not refused): every delivery left at least one inbox row.
      expect(
        await t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE payload ? 'recipient'`),
      ).toBeGreaterThan(1_000);
      expect(
        await t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE note LIKE 'MALFORMED%'`),
      ).toBeGreaterThan(0);
      await t.settle(60_000);
      // Handled, not just stored: no item's job failed on what it held.
      const failed = await t.db.query(
        `SELECT note, payload FROM messenger_inbox WHERE status = 'failed' LIMIT 5`,
      );
      expect(failed.rows).toEqual([]);
    }, 180_000);
  });
});
