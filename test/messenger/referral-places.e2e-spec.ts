import { createReferral } from '../support/fixtures';
import { type MessengerTestApp } from '../support/messenger-harness';
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
import {
  type EntryRow,
  entryRowsOf,
  type ReferralPlacesBot,
  startReferralPlacesApp,
} from './referral-places-support';

describe('Referrals arriving through Messenger', () => {
  let t: MessengerTestApp;
  let spring: ReferralPlacesBot['spring'];
  let entriesOf: (externalId: string) => Promise<EntryRow[]>;

  beforeAll(async () => {
    ({ t, spring } = await startReferralPlacesApp());
    entriesOf = (externalId) => entryRowsOf(t, externalId);
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

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
      `SELECT event_kind AS kind, text FROM messages WHERE direction = 'in' AND text = 'Is this in stock?'`,
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
});
