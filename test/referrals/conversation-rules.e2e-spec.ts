import { DataSource } from 'typeorm';
import { ContactsService } from '../../src/contacts';
import {
  ConversationsRepository,
  type ReplyRecord,
} from '../../src/conversations/conversations.repository';
import { createBot, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The domain rules that the inbound path's SQL applies (ConversationRules, the contacts upsert),
 * run by the real statements on the real Postgres, without HTTP or queues.
 */
describe('Conversation and contact rules, as the statements apply them', () => {
  let t: TestApp;
  let botId: string;
  let referrals: string[];
  let contacts: ContactsService;
  let repository: ConversationsRepository;
  let dataSource: DataSource;
  let psid = 0;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Rules bot')).id;
    referrals = [];
    for (const trackingParam of ['first', 'second', 'third'])
      referrals.push((await createReferral(t.admin, botId, { trackingParam })).id);
    contacts = t.app.get(ContactsService);
    repository = t.app.get(ConversationsRepository);
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  const seen = async (externalId: string, seenAt: Date) =>
    (
      await contacts.recordSeenMany([
        { key: { botId, channel: 'messenger', externalId, externalIdKind: 'psid' }, seenAt },
      ])
    )[0].contact;

  /** A new contact's open conversation. */
  async function conversation(): Promise<string> {
    const contact = await seen(`rules-${++psid}`, new Date());
    const [open] = await dataSource.transaction((tx) =>
      repository.openAndLog(tx, [
        {
          botId,
          contactId: contact.id,
          channel: 'messenger',
          occurredAt: new Date(),
          kind: 'text',
          text: 'hi',
          raw: {},
          externalMessageId: null,
        },
      ]),
    );
    return open.id;
  }

  const change = (conversationId: string, record: Partial<ReplyRecord>): Promise<unknown> =>
    dataSource.transaction((tx) =>
      repository.storeReplies(tx, [
        {
          conversationId,
          botId,
          channel: 'messenger',
          referralId: null,
          handover: false,
          handoverNote: null,
          release: false,
          occurredAt: new Date(),
          replyId: null,
          messages: [],
          ...record,
        },
      ]),
    );

  const state = async (id: string) =>
    (
      await t.db.query(
        `SELECT first_referral_id AS first, last_referral_id AS last, handed_over AS "handedOver"
           FROM conversations WHERE id = $1`,
        [id],
      )
    ).rows[0];

  it('keeps the first referral of a conversation and moves the last one', async () => {
    const id = await conversation();
    await change(id, { referralId: referrals[0] });
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[0] });
    await change(id, { referralId: referrals[1] });
    await change(id, { referralId: referrals[2] });
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[2] });
    // An event without a referral (a handover here) leaves both.
    await change(id, { handover: true });
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[2] });
  });

  it('keeps a conversation handed over until it is released', async () => {
    const id = await conversation();
    await change(id, { handover: true, handoverNote: 'to an agent' });
    expect((await state(id)).handedOver).toBe(true);
    // A later referral, or another change without a handover, does not give it back.
    await change(id, { referralId: referrals[1] });
    expect((await state(id)).handedOver).toBe(true);
    // A release wins, even over a handover in the same change.
    await change(id, { release: true, handover: true });
    expect((await state(id)).handedOver).toBe(false);
  });

  it("moves a contact's first-seen time only back, and its last-seen time only forward", async () => {
    const day = (n: number): Date => new Date(Date.UTC(2026, 0, n));
    const first = await seen('rules-seen', day(10));
    expect(first.firstSeenAt).toEqual(day(10));
    const later = await seen('rules-seen', day(12));
    expect([later.firstSeenAt, later.lastSeenAt]).toEqual([day(10), day(12)]);
    // A late item from before the first one (Meta reorders deliveries).
    const earlier = await seen('rules-seen', day(8));
    expect([earlier.firstSeenAt, earlier.lastSeenAt]).toEqual([day(8), day(12)]);
  });
});
