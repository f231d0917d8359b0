import { createModule, createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  checkboxReply,
  delivery,
  getStartedWithRef,
  optin,
  textMessage,
} from '../support/messenger-payloads';

/**
 * Issue 8, case 5: a checkbox plugin opt-in knows the person only by `user_ref`; their first reply
 * comes from a PSID naming that user_ref in `prior_message`. The PSID joins the user_ref's contact:
 * one contact with two ids, its entries, memberships and conversation kept, counted once.
 */
describe('Checkbox plugin identity', () => {
  let t: MessengerTestApp;
  let checkout: { id: string };

  beforeAll(async () => {
    t = await startMessengerApp();
    checkout = await createReferral(t.admin, t.botId, {
      trackingParam: 'checkout',
      content: text('Thanks for opting in'),
      segmentName: 'Checkout',
    });
    const fallback = await createModule(t.admin, t.botId, {
      name: 'Fallback',
      config: { content: text('We got your message') },
    });
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { fallbackModuleId: fallback.id });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  /** The checkout referral's funnel totals, as the stats API reports them (rollups). */
  const checkoutTotals = async (): Promise<Record<string, number>> => {
    const response = await t.admin.get(
      // Up to an hour ahead: the tests' events are stamped up to 40 s in the future, and the
      // default range ends now (a bucket starting after it would be left out).
      `/api/v1/bots/${t.botId}/referrals/${checkout.id}/stats?interval=day&timeZone=UTC` +
        `&to=${new Date(Date.now() + 3_600_000).toISOString()}`,
    );
    expect(response.status).toBe(200);
    return response.body.totals;
  };

  const contactsOfBot = (): Promise<number> =>
    t.count(`SELECT count(*) AS n FROM contacts WHERE bot_id = $1`, [t.botId]);

  it('joins the PSID to the user_ref contact, keeping entries, membership and conversation', async () => {
    const t0 = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'cb-ref-1',
          ref: 'checkout',
          omitSender: true,
          timestamp: t0,
        }),
      ]),
    );
    await t.settle();
    expect(t.graph.sends.map((send) => [send.recipient, send.message])).toEqual([
      [{ user_ref: 'cb-ref-1' }, { text: 'Thanks for opting in' }],
    ]);
    const before = (
      await t.db.query(
        `SELECT c.id AS contact, v.id AS conversation FROM contacts c JOIN conversations v ON v.contact_id = c.id
          WHERE c.external_id = 'cb-ref-1'`,
      )
    ).rows[0];

    await t.deliver(
      delivery(t.pageId, [
        checkboxReply({
          pageId: t.pageId,
          psid: 'cb-psid-1',
          userRef: 'cb-ref-1',
          text: 'yes please',
          timestamp: t0 + 1000,
        }),
      ]),
    );
    await t.settle();
    expect(t.graph.sends.slice(1).map((send) => [send.recipient, send.message])).toEqual([
      [{ id: 'cb-psid-1' }, { text: 'We got your message' }],
    ]);
    expect(await contactsOfBot()).toBe(1);
    const after = (
      await t.db.query(
        `SELECT c.id AS contact, v.id AS conversation, c.external_id AS "externalId"
           FROM contacts c JOIN conversations v ON v.contact_id = c.id WHERE c.bot_id = $1`,
        [t.botId],
      )
    ).rows;
    expect(after).toEqual([{ ...before, externalId: 'cb-psid-1' }]);
    expect(
      await t.count(
        `SELECT count(DISTINCT contact_id) AS n FROM referral_entries WHERE bot_id = $1`,
        [t.botId],
      ),
    ).toBe(1);
    const segments = await t.admin.get(`/api/v1/bots/${t.botId}/segments`);
    expect(segments.body.items).toEqual([
      expect.objectContaining({ name: 'Checkout', memberCount: 1 }),
    ]);
    const shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${before.contact}`);
    expect(shown.body.identities).toEqual([
      expect.objectContaining({ externalId: 'cb-psid-1', externalIdKind: 'psid', primary: true }),
      expect.objectContaining({
        externalId: 'cb-ref-1',
        externalIdKind: 'user_ref',
        primary: false,
      }),
    ]);
    expect(shown.body.firstReferral).toMatchObject({ trackingParam: 'checkout', source: 'OPTIN' });
  });

  it('resolves later events from either id to the one contact', async () => {
    const t0 = Date.now() + 5000;
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'cb-ref-1',
          ref: 'checkout',
          omitSender: true,
          timestamp: t0,
        }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'cb-psid-1', text: 'again', timestamp: t0 + 10 }),
      ]),
    );
    await t.settle();
    expect(await contactsOfBot()).toBe(1);
    // The opt-in's answer goes to the PSID now: the contact's own id.
    expect(t.graph.sends.map((send) => send.recipient)).toEqual([
      { id: 'cb-psid-1' },
      { id: 'cb-psid-1' },
    ]);
    expect(
      await t.count(`SELECT count(*) AS n FROM referral_entries WHERE bot_id = $1`, [t.botId]),
    ).toBe(2);
    expect(
      await t.count(
        `SELECT count(DISTINCT contact_id) AS n FROM referral_entries WHERE bot_id = $1`,
        [t.botId],
      ),
    ).toBe(1);
    // The product's unique figures count the person once, under either id.
    expect(await checkoutTotals()).toMatchObject({
      entries: 2,
      uniqueContacts: 1,
      newContacts: 1,
      returningContacts: 0,
    });
  });

  it('folds the opt-in contact into a PSID that had a contact already (a returning customer)', async () => {
    const t0 = Date.now() + 20_000;
    const psid = 'cb-returning';
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid, ref: 'earlier', timestamp: t0 }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'cb-ref-2',
          ref: 'checkout',
          omitSender: true,
          timestamp: t0 + 100,
        }),
      ]),
    );
    await t.settle();
    const ids = async (): Promise<string[]> =>
      (
        await t.db.query(
          `SELECT id FROM contacts WHERE bot_id = $1 AND external_id IN ($2, 'cb-ref-2') ORDER BY id`,
          [t.botId, psid],
        )
      ).rows.map((row) => row.id);
    const pair = await ids();
    expect(pair).toHaveLength(2);
    const [survivor] = (
      await t.db.query(`SELECT id FROM contacts WHERE external_id = $1`, [psid])
    ).rows.map((row) => row.id);

    await t.deliver(
      delivery(t.pageId, [
        checkboxReply({
          pageId: t.pageId,
          psid,
          userRef: 'cb-ref-2',
          text: 'ok',
          timestamp: t0 + 200,
        }),
      ]),
    );
    await t.settle();
    expect(await ids()).toEqual([survivor]);
    const entries = await t.db.query(
      `SELECT raw_ref AS ref, is_new_contact AS "isNew", conversation_id IS NOT NULL AS "inConversation"
         FROM referral_entries WHERE contact_id = $1 ORDER BY occurred_at`,
      [survivor],
    );
    expect(entries.rows).toEqual([
      { ref: 'earlier', isNew: true, inConversation: true },
      { ref: 'checkout', isNew: false, inConversation: true },
    ]);
    expect(
      await t.count(`SELECT count(*) AS n FROM conversations WHERE contact_id = $1`, [survivor]),
    ).toBe(1);
    const conversation = (
      await t.admin.get(`/api/v1/bots/${t.botId}/conversations?limit=100`)
    ).body.items.find((c: { contactId: string }) => c.contactId === survivor);
    const log = await t.admin.get(
      `/api/v1/bots/${t.botId}/conversations/${conversation.id}/messages?limit=100`,
    );
    expect(log.body.items.filter((m: { direction: string }) => m.direction === 'in')).toHaveLength(
      3,
    );
    const members = await t.db.query(
      `SELECT s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE m.contact_id = $1 ORDER BY s.name`,
      [survivor],
    );
    expect(members.rows.map((row) => row.name)).toEqual(['Checkout']);
    // The checkout funnel's first-seen row follows the person to the surviving contact.
    const funnel = await t.db.query(
      `SELECT r.tracking_param AS ref, rc.contact_id AS "contactId"
         FROM referral_contacts rc JOIN referrals r ON r.id = rc.referral_id
        WHERE rc.bot_id = $1 AND r.tracking_param = 'checkout'`,
      [t.botId],
    );
    expect(funnel.rows.filter((row) => pair.includes(row.contactId))).toEqual([
      { ref: 'checkout', contactId: survivor },
    ]);
    const shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${survivor}`);
    expect(shown.body.identities.map((i: { externalId: string }) => i.externalId)).toEqual([
      psid,
      'cb-ref-2',
    ]);
    expect(shown.body.firstReferral).toMatchObject({ rawRef: 'earlier' });
    expect(shown.body.lastReferral).toMatchObject({ trackingParam: 'checkout' });
    // Later events from the user_ref land on the merged contact and are answered at its PSID.
    t.graph.reset();
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'cb-ref-2',
          ref: 'checkout',
          omitSender: true,
          timestamp: t0 + 300,
        }),
      ]),
    );
    await t.settle();
    expect(await ids()).toEqual([survivor]);
    expect(t.graph.sends.map((send) => send.recipient)).toEqual([{ id: psid }]);
    // Two people entered checkout (cb-ref-1's and this one), four times: this person's entry
    // after the fold is not a second unique contact.
    expect(await checkoutTotals()).toMatchObject({ entries: 4, uniqueContacts: 2 });
  });

  it('counts a person who entered one referral under both ids once, after the merge', async () => {
    const before = await checkoutTotals();
    const t0 = Date.now() + 40_000;
    const psid = 'cb-both';
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid, ref: 'checkout', timestamp: t0 }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid, text: 'hello', timestamp: t0 + 50 }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'cb-ref-3',
          ref: 'checkout',
          omitSender: true,
          timestamp: t0 + 100,
        }),
      ]),
    );
    await t.settle();
    // Before the merge the two ids are two people in checkout's figures.
    expect((await checkoutTotals()).uniqueContacts).toBe(before.uniqueContacts + 2);
    await t.deliver(
      delivery(t.pageId, [
        checkboxReply({
          pageId: t.pageId,
          psid,
          userRef: 'cb-ref-3',
          text: 'ok',
          timestamp: t0 + 200,
        }),
      ]),
    );
    await t.settle();
    expect(
      await t.count(`SELECT count(*) AS n FROM contacts WHERE external_id IN ($1, 'cb-ref-3')`, [
        psid,
      ]),
    ).toBe(1);
    const after = await checkoutTotals();
    const delta = (counter: string): number => after[counter] - before[counter];
    expect({
      entries: delta('entries'),
      uniqueContacts: delta('uniqueContacts'),
      newContacts: delta('newContacts'),
      returningContacts: delta('returningContacts'),
      engagedContacts: delta('engagedContacts'),
    }).toEqual({
      entries: 2,
      uniqueContacts: 1,
      newContacts: 1,
      returningContacts: 0,
      engagedContacts: 1,
    });
  });

  it('leaves a prior_message naming an unknown user_ref as an ordinary new contact', async () => {
    await t.deliver(
      delivery(t.pageId, [
        checkboxReply({ pageId: t.pageId, psid: 'cb-psid-2', userRef: 'never-seen', text: 'hi' }),
      ]),
    );
    await t.settle();
    expect(
      await t.count(`SELECT count(*) AS n FROM contacts WHERE external_id = 'cb-psid-2'`),
    ).toBe(1);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM contact_identities WHERE external_id = 'never-seen'`,
      ),
    ).toBe(0);
  });
});
