import { ContactsService } from '../../src/contacts';
import { createApiKey, createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  delivery,
  getStartedWithRef,
  notificationOptin,
  oneTimeNotifOptin,
  referral,
} from '../support/messenger-payloads';

const TOKEN = 'nmt_7e1c1f5d0e2b4a0b9f3f2a1c5d8e9b0a';
const HOUR = 3600_000;

/**
 * Issue 8, case 3: marketing-message and one-time-notification opt-ins are subscriptions, not link
 * entries: nothing is sent, nothing is counted, and the contact's subscription (token encrypted) is
 * shown by GET /contacts/{id} without the token.
 */
describe('Notification opt-ins', () => {
  let t: MessengerTestApp;
  let contacts: ContactsService;

  beforeAll(async () => {
    t = await startMessengerApp();
    contacts = t.app.get(ContactsService);
    await t.admin.patch(`/api/v1/bots/${t.botId}`, {
      welcome: text('Welcome!'),
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'spring',
      content: text('Spring!'),
      segmentName: 'Spring',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  const contactIdOf = async (psid: string): Promise<string> =>
    (await t.db.query(`SELECT id FROM contacts WHERE external_id = $1`, [psid])).rows[0].id;

  it('stores a marketing-message opt-in as a subscription: nothing sent, no entry', async () => {
    const now = Date.now();
    const expiresAt = now + 180 * 24 * HOUR;
    const response = await t.deliver(
      delivery(t.pageId, [
        notificationOptin({
          pageId: t.pageId,
          psid: 'sub-1',
          token: TOKEN,
          topic: 'weekly-deals',
          title: 'Weekly deals',
          frequency: 'WEEKLY',
          timezone: 'Europe/Berlin',
          expiresAt,
          userTokenStatus: 'NOT_REFRESHED',
          timestamp: now,
        }),
      ]),
    );
    expect(response.status).toBe(200);
    await t.settle();
    expect(t.graph.sends).toEqual([]);
    expect(await t.count(`SELECT count(*) AS n FROM referral_entries`)).toBe(0);
    const inbox = await t.db.query(
      `SELECT status, note FROM messenger_inbox WHERE sender_key = 'psid:sub-1'`,
    );
    expect(inbox.rows).toEqual([
      { status: 'processed', note: 'SUBSCRIPTION: notification_messages' },
    ]);

    const id = await contactIdOf('sub-1');
    const shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.subscriptions).toEqual([
      expect.objectContaining({
        channel: 'messenger',
        type: 'notification_messages',
        topic: 'weekly-deals',
        title: 'Weekly deals',
        status: 'active',
        frequency: 'WEEKLY',
        timezone: 'Europe/Berlin',
        tokenExpiresAt: new Date(expiresAt).toISOString(),
        userTokenStatus: 'NOT_REFRESHED',
      }),
    ]);
    expect(shown.text).not.toContain(TOKEN);
    expect(shown.body.firstReferral).toBeNull();
    // Encrypted at rest, readable by the service a broadcast will use.
    const stored = await t.db.query(
      `SELECT token_encrypted, token_hash FROM contact_subscriptions`,
    );
    expect(JSON.stringify(stored.rows)).not.toContain(TOKEN);
    expect(await contacts.activeNotificationToken(t.botId, id, 'weekly-deals')).toBe(TOKEN);
    expect(await contacts.activeNotificationToken(t.botId, id, 'other-topic')).toBeNull();
    expect(
      await contacts.activeNotificationToken(
        t.botId,
        id,
        'weekly-deals',
        'notification_messages',
        new Date(expiresAt + 1),
      ),
    ).toBeNull();
  });

  it('STOP marks the subscription stopped (even named by its token only), RESUME active again', async () => {
    const id = await contactIdOf('sub-1');
    const base = Date.now() + 1000;
    await t.deliver(
      delivery(t.pageId, [
        notificationOptin({
          pageId: t.pageId,
          psid: 'sub-1',
          token: TOKEN,
          status: 'STOP_NOTIFICATIONS',
          timestamp: base,
        }),
      ]),
    );
    await t.settle();
    expect(t.graph.sends).toEqual([]);
    expect(await contacts.activeNotificationToken(t.botId, id, 'weekly-deals')).toBeNull();
    let shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${id}`);
    expect(shown.body.subscriptions.map((s: { status: string }) => s.status)).toEqual(['stopped']);

    await t.deliver(
      delivery(t.pageId, [
        notificationOptin({
          pageId: t.pageId,
          psid: 'sub-1',
          token: `${TOKEN}-2`,
          topic: 'weekly-deals',
          status: 'RESUME_NOTIFICATIONS',
          timestamp: base + 1000,
        }),
        // A late redelivery of an older STOP changes nothing.
        notificationOptin({
          pageId: t.pageId,
          psid: 'sub-1',
          token: TOKEN,
          topic: 'weekly-deals',
          status: 'STOP_NOTIFICATIONS',
          timestamp: base + 500,
        }),
      ]),
    );
    await t.settle();
    shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${id}`);
    expect(shown.body.subscriptions).toEqual([
      expect.objectContaining({ topic: 'weekly-deals', status: 'active', frequency: 'WEEKLY' }),
    ]);
    expect(await contacts.activeNotificationToken(t.botId, id, 'weekly-deals')).toBe(`${TOKEN}-2`);
    expect(t.graph.sends).toEqual([]);
    expect(await t.count(`SELECT count(*) AS n FROM referral_entries`)).toBe(0);
  });

  it('stores a one-time notification opt-in per topic, and answers nothing', async () => {
    await t.deliver(
      delivery(t.pageId, [
        oneTimeNotifOptin({
          pageId: t.pageId,
          psid: 'sub-2',
          token: 'otn-1',
          topic: 'back-in-stock',
        }),
      ]),
    );
    await t.settle();
    expect(t.graph.sends).toEqual([]);
    const id = await contactIdOf('sub-2');
    expect(
      await contacts.activeNotificationToken(t.botId, id, 'back-in-stock', 'one_time_notif_req'),
    ).toBe('otn-1');
    const shown = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${id}`);
    expect(shown.body.subscriptions).toEqual([
      expect.objectContaining({
        type: 'one_time_notif_req',
        topic: 'back-in-stock',
        status: 'active',
      }),
    ]);
    expect(shown.text).not.toContain('otn-1');
  });

  it("subscribes an opt-in without payload to topic '' and stops it by token", async () => {
    await t.deliver(
      delivery(t.pageId, [notificationOptin({ pageId: t.pageId, psid: 'sub-4', token: 'plain' })]),
    );
    await t.settle();
    const id = await contactIdOf('sub-4');
    expect(await contacts.activeNotificationToken(t.botId, id, '')).toBe('plain');
    await t.deliver(
      delivery(t.pageId, [
        notificationOptin({
          pageId: t.pageId,
          psid: 'sub-4',
          token: 'plain',
          status: 'STOP_NOTIFICATIONS',
          timestamp: Date.now() + 1000,
        }),
      ]),
    );
    await t.settle();
    expect(await contacts.activeNotificationToken(t.botId, id, '')).toBeNull();
    expect(t.graph.sends).toEqual([]);
  });

  it('shows the contact with its identities and first and last referral; other bots get 404', async () => {
    const t0 = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'sub-3', ref: 'spring', timestamp: t0 }),
        referral({ pageId: t.pageId, psid: 'sub-3', ref: 'unknown-ref', timestamp: t0 + 10 }),
      ]),
    );
    await t.settle();
    const id = await contactIdOf('sub-3');
    const key = await createApiKey(t.admin, t.botId);
    const shown = await t.http.get(`/api/v1/bots/${t.botId}/contacts/${id}`, { token: key });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      id,
      channel: 'messenger',
      identities: [
        { channel: 'messenger', externalId: 'sub-3', externalIdKind: 'psid', primary: true },
      ],
      subscriptions: [],
      firstReferral: { trackingParam: 'spring', rawRef: 'spring', source: 'SHORTLINK' },
      lastReferral: { referralId: null, trackingParam: null, rawRef: 'unknown-ref' },
    });

    const other = (await t.admin.post('/api/v1/bots', { name: 'Other' })).body;
    const otherKey = await createApiKey(t.admin, other.id);
    const foreign = await t.http.get(`/api/v1/bots/${other.id}/contacts/${id}`, {
      token: otherKey,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('CONTACT_NOT_FOUND');
    const crossed = await t.http.get(`/api/v1/bots/${t.botId}/contacts/${id}`, {
      token: otherKey,
    });
    expect([401, 403, 404]).toContain(crossed.status);
    expect(crossed.text).not.toContain('sub-3');
    const junk = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/not-a-uuid`);
    expect(junk.status).toBe(404);
    expect(junk.body.code).toBe('CONTACT_NOT_FOUND');
  });
});
