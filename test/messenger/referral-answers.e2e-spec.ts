import { createModule, createReferral, text } from '../support/fixtures';
import { type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, referral, textMessage } from '../support/messenger-payloads';
import { type EntryRow, entryRowsOf, startReferralPlacesApp } from './referral-places-support';

// What the bot answers once a referral or message has arrived: modules, fallback, order, profiles,
// renamed and deleted referrals. Where Meta puts the ref: referral-places.e2e-spec.ts.
describe('Answers to Messenger referrals and messages', () => {
  let t: MessengerTestApp;
  let entriesOf: (externalId: string) => Promise<EntryRow[]>;

  beforeAll(async () => {
    ({ t } = await startReferralPlacesApp());
    entriesOf = (externalId) => entryRowsOf(t, externalId);
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

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
