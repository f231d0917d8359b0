import { createModule, createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  adReferralMessage,
  asString,
  chatPluginReferral,
  delivery,
  getStarted,
  getStartedWithRef,
  inSeconds,
  optin,
  referral,
  textMessage,
} from '../support/messenger-payloads';

const WELCOME = 'Welcome to the shop, {{contact.firstName|friend}}!';

describe('Referrals arriving through Messenger', () => {
  let t: MessengerTestApp;
  let spring: { id: string; segment: { id: string } };

  beforeAll(async () => {
    t = await startMessengerApp();
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { welcome: text(WELCOME) });
    spring = await createReferral(t.admin, t.botId, {
      trackingParam: 'Spring-Sale',
      content: text('Hi {{contact.firstName|there}}, you came via {{referral.trackingParam}}'),
      segmentName: 'Spring buyers',
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  interface EntryRow {
    referral_id: string | null;
    raw_ref: string | null;
    source: string | null;
    is_new_contact: boolean;
    ad_id: string | null;
    ads_context: unknown;
    referer_uri: string | null;
    occurred_at: Date;
  }

  async function entriesOf(externalId: string): Promise<EntryRow[]> {
    const rows = await t.db.query(
      `SELECT e.* FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
        WHERE c.external_id = $1 ORDER BY e.id`,
      [externalId],
    );
    return rows.rows;
  }

  async function memberOf(
    externalId: string,
  ): Promise<{ segment_id: string; referral_id: string; tracking_param: string }[]> {
    const rows = await t.db.query(
      `SELECT m.segment_id, m.referral_id, m.tracking_param FROM segment_members m
         JOIN contacts c ON c.id = m.contact_id WHERE c.external_id = $1`,
      [externalId],
    );
    return rows.rows;
  }

  it('1. new thread: the ref on the Get Started postback (case-insensitive), personalised', async () => {
    t.graph.setProfile('new-user', { first_name: 'Ann', last_name: 'Lee' });
    const at = Date.now() - 1000;
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({
          pageId: t.pageId,
          psid: 'new-user',
          ref: 'spring-sale',
          timestamp: at,
        }),
      ]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.recipient).toEqual({ id: 'new-user' });
    expect(send.message).toEqual({ text: 'Hi Ann, you came via Spring-Sale' });
    await t.settle();
    expect(await entriesOf('new-user')).toEqual([
      expect.objectContaining({
        referral_id: spring.id,
        raw_ref: 'spring-sale',
        source: 'SHORTLINK',
        is_new_contact: true,
        occurred_at: new Date(at),
      }),
    ]);
    expect(await memberOf('new-user')).toEqual([
      { segment_id: spring.segment.id, referral_id: spring.id, tracking_param: 'Spring-Sale' },
    ]);
    const conversation = await t.db.query(
      `SELECT first_referral_id, last_referral_id FROM conversations WHERE contact_id = (SELECT id FROM contacts WHERE external_id = 'new-user')`,
    );
    expect(conversation.rows).toEqual([
      { first_referral_id: spring.id, last_referral_id: spring.id },
    ]);
    expect(t.graph.profileRequests).toEqual([
      expect.objectContaining({ psid: 'new-user', accessToken: t.pageToken }),
    ]);
  });

  it('2. existing thread: a messaging_referrals item counts a returning user', async () => {
    const base = Date.now() - 60_000;
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'returning', text: 'hello', timestamp: base }),
      ]),
    );
    await t.settle();
    expect(t.graph.sendsTo('returning')).toHaveLength(0);
    await t.deliver(
      delivery(t.pageId, [
        referral({
          pageId: t.pageId,
          psid: 'returning',
          ref: 'SPRING-SALE',
          timestamp: base + 5000,
        }),
      ]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.message).toEqual({ text: 'Hi there, you came via Spring-Sale' });
    await t.settle();
    expect(await entriesOf('returning')).toEqual([
      expect.objectContaining({
        referral_id: spring.id,
        is_new_contact: false,
        source: 'SHORTLINK',
      }),
    ]);
    expect(await memberOf('returning')).toHaveLength(1);
  });

  it('3. a Click-to-Messenger ad: the message keeps ad_id and the ads context', async () => {
    const adsContext = {
      ad_title: 'Spring shoes',
      photo_url: 'https://example.com/p.jpg',
      post_id: '123_456',
    };
    await t.deliver(
      delivery(t.pageId, [
        adReferralMessage({
          pageId: t.pageId,
          psid: 'ad-user',
          ref: 'spring-sale',
          adId: '6045246247433',
          text: 'Is this in stock?',
          adsContext,
        }),
      ]),
    );
    await t.graph.waitForSends(1);
    await t.settle();
    expect(await entriesOf('ad-user')).toEqual([
      expect.objectContaining({
        referral_id: spring.id,
        source: 'ADS',
        ad_id: '6045246247433',
        ads_context: adsContext,
      }),
    ]);
    const logged = await t.db.query(
      `SELECT kind, text FROM messages WHERE direction = 'in' AND text = 'Is this in stock?'`,
    );
    expect(logged.rows).toEqual([{ kind: 'referral', text: 'Is this in stock?' }]);
  });

  it('3b. an ad without a ref gets the welcome and is recorded with its ad id', async () => {
    await t.deliver(
      delivery(t.pageId, [
        adReferralMessage({
          pageId: t.pageId,
          psid: 'ad-noref',
          adId: '777',
          text: 'hi',
          adsContext: { ad_title: 'x' },
        }),
      ]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.message).toEqual({ text: 'Welcome to the shop, friend!' });
    await t.settle();
    expect(await entriesOf('ad-noref')).toEqual([
      expect.objectContaining({ referral_id: null, raw_ref: null, ad_id: '777', source: 'ADS' }),
    ]);
  });

  it('4a. an opt-in (send to Messenger) with a ref', async () => {
    await t.deliver(
      delivery(t.pageId, [optin({ pageId: t.pageId, psid: 'optin-user', ref: 'spring-sale' })]),
    );
    await t.graph.waitForSends(1);
    await t.settle();
    expect(await entriesOf('optin-user')).toEqual([
      expect.objectContaining({ referral_id: spring.id, source: 'OPTIN' }),
    ]);
  });

  it('4b. a checkbox opt-in with only a user_ref (no sender) is answered to that user_ref', async () => {
    await t.deliver(
      delivery(t.pageId, [
        optin({
          pageId: t.pageId,
          userRef: 'checkbox-ref-1',
          ref: 'spring-sale',
          omitSender: true,
        }),
      ]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.recipient).toEqual({ user_ref: 'checkbox-ref-1' });
    await t.settle();
    expect(await entriesOf('checkbox-ref-1')).toHaveLength(1);
    expect(t.graph.profileRequests.map((r) => r.psid)).not.toContain('checkbox-ref-1');
  });

  it('4c. a chat-plugin referral without any ref: the welcome, the entry recorded with its page URL', async () => {
    await t.deliver(
      delivery(t.pageId, [
        chatPluginReferral({
          pageId: t.pageId,
          userRef: 'plugin-visitor',
          refererUri: 'https://shop.example.com/spring',
        }),
      ]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.recipient).toEqual({ user_ref: 'plugin-visitor' });
    expect(send.message).toEqual({ text: 'Welcome to the shop, friend!' });
    await t.settle();
    expect(await entriesOf('plugin-visitor')).toEqual([
      expect.objectContaining({
        referral_id: null,
        raw_ref: null,
        source: 'CUSTOMER_CHAT_PLUGIN',
        referer_uri: 'https://shop.example.com/spring',
      }),
    ]);
  });

  it('answers an unknown or inactive ref with the welcome and records the raw ref', async () => {
    const sleeping = await createReferral(t.admin, t.botId, {
      trackingParam: 'sleeping',
      active: false,
      segmentName: 'Sleepers',
    });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'unknown-ref', ref: 'no-such-campaign' }),
        getStartedWithRef({ pageId: t.pageId, psid: 'inactive-ref', ref: 'sleeping' }),
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(sends.map((s) => s.message)).toEqual([
      { text: 'Welcome to the shop, friend!' },
      { text: 'Welcome to the shop, friend!' },
    ]);
    await t.settle();
    expect(await entriesOf('unknown-ref')).toEqual([
      expect.objectContaining({ referral_id: null, raw_ref: 'no-such-campaign' }),
    ]);
    expect(await entriesOf('inactive-ref')).toEqual([
      expect.objectContaining({ referral_id: null, raw_ref: 'sleeping' }),
    ]);
    expect(await memberOf('inactive-ref')).toEqual([]);
    expect(
      await t.count('SELECT count(*) AS n FROM segment_members WHERE segment_id = $1', [
        sleeping.segment.id,
      ]),
    ).toBe(0);
  });

  it('answers Get Started without a ref with the welcome and records no entry', async () => {
    await t.deliver(delivery(t.pageId, [getStarted({ pageId: t.pageId, psid: 'plain-start' })]));
    const [send] = await t.graph.waitForSends(1);
    expect(send.message).toEqual({ text: 'Welcome to the shop, friend!' });
    await t.settle();
    expect(await entriesOf('plain-start')).toEqual([]);
  });

  it('reads timestamps in seconds and as strings', async () => {
    const ms = Date.UTC(2026, 10, 20, 12, 0, 0);
    await t.deliver(
      delivery(t.pageId, [
        referral({
          pageId: t.pageId,
          psid: 'ts-seconds',
          ref: 'spring-sale',
          timestamp: inSeconds(ms),
        }),
        referral({
          pageId: t.pageId,
          psid: 'ts-string',
          ref: 'spring-sale',
          timestamp: asString(ms + 1000),
        }),
      ]),
    );
    await t.settle();
    expect((await entriesOf('ts-seconds'))[0].occurred_at).toEqual(new Date(ms));
    expect((await entriesOf('ts-string'))[0].occurred_at).toEqual(new Date(ms + 1000));
  });

  it('answers with a module, and a quick reply navigates to another module', async () => {
    const details = await createModule(t.admin, t.botId, {
      name: 'Details',
      config: { content: text('All the details') },
    });
    const menu = await createModule(t.admin, t.botId, {
      name: 'Menu',
      config: {
        content: {
          messages: [
            {
              type: 'quickReplies',
              text: 'What do you need?',
              replies: [{ title: 'Details', moduleId: details.id }],
            },
          ],
        },
      },
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'menu',
      answerType: 'module',
      content: undefined,
      moduleId: menu.id,
    });
    await t.deliver(
      delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid: 'navigator', ref: 'menu' })]),
    );
    const [first] = await t.graph.waitForSends(1);
    expect(first.message).toEqual({
      text: 'What do you need?',
      quick_replies: [{ content_type: 'text', title: 'Details', payload: `MODULE:${details.id}` }],
    });
    await t.deliver(
      delivery(t.pageId, [
        {
          sender: { id: 'navigator' },
          recipient: { id: t.pageId },
          timestamp: Date.now(),
          message: {
            mid: 'm_nav_1',
            text: 'Details',
            quick_reply: { payload: `MODULE:${details.id}` },
          },
        },
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(sends[1].message).toEqual({ text: 'All the details' });
  });

  it('answers ordinary text only when the bot has a fallback module', async () => {
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'chatty', text: 'anyone there?' }),
      ]),
    );
    await t.settle();
    expect(t.graph.sendsTo('chatty')).toHaveLength(0);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM messages WHERE direction = 'in' AND text = 'anyone there?'`,
      ),
    ).toBe(1);
    const fallback = await createModule(t.admin, t.botId, {
      name: 'Fallback',
      config: { content: text('A human will read this') },
    });
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { fallbackModuleId: fallback.id });
    await t.deliver(
      delivery(t.pageId, [textMessage({ pageId: t.pageId, psid: 'chatty', text: 'hello?' })]),
    );
    const [send] = await t.graph.waitForSends(1);
    expect(send.message).toEqual({ text: 'A human will read this' });
    await t.admin.patch(`/api/v1/bots/${t.botId}`, { fallbackModuleId: null });
  });

  it('handles one contact in timestamp order even when Meta delivers out of order', async () => {
    const base = Date.now() - 10_000;
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'ordered', text: 'third', timestamp: base + 3000 }),
        textMessage({ pageId: t.pageId, psid: 'ordered', text: 'first', timestamp: base + 1000 }),
        textMessage({ pageId: t.pageId, psid: 'ordered', text: 'second', timestamp: base + 2000 }),
      ]),
    );
    await t.settle();
    const rows = await t.db.query(
      `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id
         JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'ordered' ORDER BY m.id`,
    );
    expect(rows.rows.map((r: { text: string }) => r.text)).toEqual(['first', 'second', 'third']);
  });

  it('fetches a profile once, and answers anyway when the lookup fails', async () => {
    t.graph.setProfile('profiled', { first_name: 'Pia', last_name: 'Park' });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'profiled', ref: 'spring-sale' }),
      ]),
    );
    await t.graph.waitForSends(1);
    await t.deliver(
      delivery(t.pageId, [
        referral({
          pageId: t.pageId,
          psid: 'profiled',
          ref: 'spring-sale',
          timestamp: Date.now() + 10,
        }),
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(sends.map((s) => s.message.text)).toEqual([
      'Hi Pia, you came via Spring-Sale',
      'Hi Pia, you came via Spring-Sale',
    ]);
    expect(t.graph.profileRequests.filter((r) => r.psid === 'profiled')).toHaveLength(1);
    const names = await t.db.query(
      `SELECT first_name, last_name FROM contacts WHERE external_id = 'profiled'`,
    );
    expect(names.rows).toEqual([{ first_name: 'Pia', last_name: 'Park' }]);

    t.graph.failProfiles(true);
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'no-profile', ref: 'spring-sale' }),
      ]),
    );
    const [third] = (await t.graph.waitForSends(3)).slice(2);
    expect(third.message).toEqual({ text: 'Hi there, you came via Spring-Sale' });
    t.graph.failProfiles(false);
  });

  it("answers a renamed referral's old ref with the welcome, recording it as unknown", async () => {
    const renamed = await createReferral(t.admin, t.botId, {
      trackingParam: 'old-name',
      content: text('New name content'),
      segmentName: 'Renamed',
    });
    await t.admin.patch(`/api/v1/bots/${t.botId}/referrals/${renamed.id}`, {
      trackingParam: 'new-name',
    });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'old-link', ref: 'old-name' }),
        getStartedWithRef({ pageId: t.pageId, psid: 'new-link', ref: 'new-name' }),
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(Object.fromEntries(sends.map((s) => [s.recipient!.id, s.message.text]))).toEqual({
      'old-link': 'Welcome to the shop, friend!',
      'new-link': 'New name content',
    });
    await t.settle();
    expect(await entriesOf('old-link')).toEqual([
      expect.objectContaining({ referral_id: null, raw_ref: 'old-name' }),
    ]);
    expect(await entriesOf('new-link')).toEqual([
      expect.objectContaining({ referral_id: renamed.id }),
    ]);
  });

  it('keeps the entries of a deleted referral for the statistics', async () => {
    const doomed = await createReferral(t.admin, t.botId, {
      trackingParam: 'doomed',
      content: text('Soon gone'),
      segmentName: 'Doomed',
    });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'doomed-user', ref: 'doomed' }),
      ]),
    );
    await t.graph.waitForSends(1);
    await t.settle();
    expect((await t.admin.delete(`/api/v1/bots/${t.botId}/referrals/${doomed.id}`)).status).toBe(
      204,
    );
    expect(
      await t.count('SELECT count(*) AS n FROM referral_entries WHERE referral_id = $1', [
        doomed.id,
      ]),
    ).toBe(1);
    await t.deliver(
      delivery(t.pageId, [
        referral({
          pageId: t.pageId,
          psid: 'doomed-user',
          ref: 'doomed',
          timestamp: Date.now() + 5,
        }),
      ]),
    );
    const sends = await t.graph.waitForSends(2);
    expect(sends[1].message).toEqual({ text: 'Welcome to the shop, friend!' });
  });
});
