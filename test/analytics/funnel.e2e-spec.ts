import { ReferralsService } from '../../src/referrals';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import {
  adReferralMessage,
  delivery,
  deliveryReceipt,
  getStartedWithRef,
  quickReply,
  readReceipt,
  referral,
  textMessage,
} from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import { click, waitForClicks } from './clicks';

const HOUR = 3600_000;

describe('The funnel of a referral, from signed webhooks', () => {
  let t: MessengerTestApp;
  let summer: { id: string };
  // By default up to a minute ahead: events are stamped up to seconds in the future, and the
  // default range ends now (a bucket starting after it would be left out).
  const stats = async (query = `&to=${new Date(Date.now() + 60_000).toISOString()}`) => {
    const response = await t.admin.get(
      `/api/v1/bots/${t.botId}/referrals/${summer.id}/stats?interval=day&timeZone=UTC${query}`,
    );
    expect(response.status).toBe(200);
    return response.body;
  };

  beforeAll(async () => {
    t = await startMessengerApp();
    summer = await createReferral(t.admin, t.botId, {
      trackingParam: 'Summer',
      content: text('Summer deals inside'),
    });
  });
  afterAll(() => t.close());

  async function sentTo(psid: string): Promise<void> {
    await t.graph.waitForSends(1);
    await waitFor(() => t.graph.sendsTo(psid).length > 0, { what: `a send to ${psid}` });
    await t.settle(20_000);
  }

  it('counts clicks on the tracked link (a person twice, a preview once)', async () => {
    await click(t, `/r/${t.botId}/summer`);
    await click(t, `/r/${t.botId}/summer`);
    await click(t, `/r/${t.botId}/summer`, { userAgent: 'facebookexternalhit/1.1' });
    await waitForClicks(t.db, t.botId, 3);
    expect((await stats()).totals).toMatchObject({ clicks: 2, uniqueClicks: 1, botClicks: 1 });
  });

  it('Get Started with the ref: an entry of a new contact, its answer sent, delivered, read, then a quick-reply tap', async () => {
    const now = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({
          pageId: t.pageId,
          psid: 'ann',
          ref: 'summer',
          timestamp: now - 60_000,
        }),
      ]),
    );
    await sentTo('ann');
    let totals = (await stats()).totals;
    expect(totals).toMatchObject({
      entries: 1,
      uniqueContacts: 1,
      newContacts: 1,
      returningContacts: 0,
      answersSent: 1,
      answersDelivered: 0,
      answersRead: 0,
      engagedContacts: 0,
    });
    const mid = (await t.db.query(`SELECT external_id FROM messages WHERE direction = 'out'`))
      .rows[0].external_id as string;
    await t.deliver(
      delivery(t.pageId, [
        deliveryReceipt({
          pageId: t.pageId,
          psid: 'ann',
          mids: [mid],
          timestamp: Date.now() + 1000,
        }),
      ]),
    );
    await t.settle();
    expect((await stats()).totals).toMatchObject({ answersDelivered: 1, answersRead: 0 });
    await t.deliver(
      delivery(t.pageId, [
        readReceipt({
          pageId: t.pageId,
          psid: 'ann',
          watermark: Date.now() + 2000,
          timestamp: Date.now() + 2000,
        }),
      ]),
    );
    await t.settle();
    totals = (await stats()).totals;
    expect(totals).toMatchObject({ answersDelivered: 1, answersRead: 1, engagedContacts: 0 });
    await t.deliver(
      delivery(t.pageId, [
        quickReply({
          pageId: t.pageId,
          psid: 'ann',
          text: 'Yes',
          payload: 'YES',
          timestamp: Date.now() + 3000,
        }),
      ]),
    );
    await t.settle();
    totals = (await stats()).totals;
    expect(totals).toMatchObject({ engagedContacts: 1 });
    expect(totals.rates).toMatchObject({
      newContactRate: 1,
      answerRate: 1,
      deliveryRate: 1,
      readRate: 1,
      engagementRate: 1,
    });
    // Another tap does not count the same contact twice.
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'ann', text: 'more', timestamp: Date.now() + 4000 }),
      ]),
    );
    await t.settle();
    expect((await stats()).totals.engagedContacts).toBe(1);
  });

  it('a returning contact (knew the bot before) entering through messaging_referrals', async () => {
    await t.deliver(
      delivery(t.pageId, [
        textMessage({
          pageId: t.pageId,
          psid: 'bob',
          text: 'hello',
          timestamp: Date.now() - 10 * 60_000,
        }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        referral({ pageId: t.pageId, psid: 'bob', ref: 'SUMMER', timestamp: Date.now() }),
      ]),
    );
    await sentTo('bob');
    const body = await stats();
    expect(body.totals).toMatchObject({
      entries: 2,
      uniqueContacts: 2,
      newContacts: 1,
      returningContacts: 1,
      answersSent: 2,
    });
    // Entering again is another entry, not another contact.
    await t.deliver(
      delivery(t.pageId, [
        referral({ pageId: t.pageId, psid: 'bob', ref: 'summer', timestamp: Date.now() + 1000 }),
      ]),
    );
    await t.settle();
    expect((await stats()).totals).toMatchObject({ entries: 3, uniqueContacts: 2 });
  });

  it("keeps each contact's first-touch and last-touch referral, shown on the contact", async () => {
    const winter = await createReferral(t.admin, t.botId, { trackingParam: 'winter' });
    await t.deliver(
      delivery(t.pageId, [
        referral({ pageId: t.pageId, psid: 'bob', ref: 'winter', timestamp: Date.now() + 5000 }),
      ]),
    );
    await t.settle();
    const { rows } = await t.db.query(`SELECT id FROM contacts WHERE external_id = 'bob'`);
    const touches = await t.app.get(ReferralsService).contactTouches(t.botId, rows[0].id as string);
    expect(touches.firstTouch).toMatchObject({ referralId: summer.id, trackingParam: 'Summer' });
    expect(touches.lastTouch).toMatchObject({ referralId: winter.id, trackingParam: 'winter' });
    // And shown on the contact, as the management API gives it.
    const contact = await t.admin.get(`/api/v1/bots/${t.botId}/contacts/${rows[0].id}`);
    expect(contact.status).toBe(200);
    expect(contact.body.firstReferral).toMatchObject({
      referralId: summer.id,
      trackingParam: 'Summer',
    });
    expect(contact.body.lastReferral).toMatchObject({
      referralId: winter.id,
      trackingParam: 'winter',
    });
  });

  it('an ad referral: by source, by channel and by ad with its title', async () => {
    await t.deliver(
      delivery(t.pageId, [
        adReferralMessage({
          pageId: t.pageId,
          psid: 'cleo',
          ref: 'summer',
          adId: '6045246247433',
          text: 'Is this still available?',
          adsContext: { ad_title: 'Summer sandals -30%' },
        }),
      ]),
    );
    await sentTo('cleo');
    const body = await stats();
    expect(body.totals).toMatchObject({ entries: 4, uniqueContacts: 3, newContacts: 2 });
    expect(body.byAd).toEqual([
      expect.objectContaining({ adId: '6045246247433', title: 'Summer sandals -30%', entries: 1 }),
    ]);
    expect(body.bySource).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: 'SHORTLINK', entries: 3, uniqueContacts: 2 }),
        expect.objectContaining({ source: 'ADS', entries: 1, uniqueContacts: 1, newContacts: 1 }),
      ]),
    );
    expect(body.byChannel).toEqual([
      expect.objectContaining({ channel: 'messenger', entries: 4, uniqueContacts: 3 }),
    ]);
  });

  it('engagement counts only within 24 hours of entering', async () => {
    const late = await createReferral(t.admin, t.botId, { trackingParam: 'late' });
    const entered = Date.now() - 30 * HOUR;
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'dan', ref: 'late', timestamp: entered }),
      ]),
    );
    await t.settle();
    await t.deliver(
      delivery(t.pageId, [
        textMessage({ pageId: t.pageId, psid: 'dan', text: 'hi', timestamp: Date.now() }),
      ]),
    );
    await t.settle();
    const response = await t.admin.get(
      `/api/v1/bots/${t.botId}/referrals/${late.id}/stats?from=${new Date(entered - HOUR).toISOString()}`,
    );
    // The answer was not sent: the contact wrote last more than 24 hours before it was due.
    expect(response.body.totals).toMatchObject({ entries: 1, answersSent: 0, engagedContacts: 0 });
  });

  it('the series is zero-filled, one bucket per day, and adds up to the totals', async () => {
    const body = await stats(
      `&from=${new Date(Date.now() - 6 * 24 * HOUR).toISOString().slice(0, 10)}`,
    );
    expect(body.series).toHaveLength(7);
    expect(body.series[0].start).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\+00:00$/);
    const sum = body.series.reduce(
      (n: number, bucket: { entries: number }) => n + bucket.entries,
      0,
    );
    expect(sum).toBe(body.totals.entries);
    expect(
      body.series.slice(0, 5).every((bucket: { entries: number }) => bucket.entries === 0),
    ).toBe(true);
  });
});
