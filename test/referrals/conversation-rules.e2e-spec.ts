import { DataSource } from 'typeorm';
import { ContactsService } from '../../src/contacts';
import {
  ConversationsRepository,
  type HandoverChange,
} from '../../src/conversations/conversations.repository';
import { UpdateConversationState } from '../../src/conversations/update-conversation-state';
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

  /** An inbound event of a contact, opening (or touching) its conversation; its id. */
  const open = async (contactId: string, referralId: string | null = null): Promise<string> =>
    (
      await dataSource.transaction((tx) =>
        repository.openAndLog(tx, [
          {
            botId,
            contactId,
            channel: 'messenger',
            occurredAt: new Date(),
            kind: referralId ? 'referral' : 'text',
            text: 'hi',
            raw: {},
            externalMessageId: null,
            referralId,
          },
        ]),
      )
    )[0].id;

  /** A new contact's open conversation, opened by an event of `referralId` when given. */
  async function conversation(
    referralId: string | null = null,
  ): Promise<{ id: string; contactId: string }> {
    const contact = await seen(`rules-${++psid}`, new Date());
    return { id: await open(contact.id, referralId), contactId: contact.id };
  }

  const changeHands = (conversationId: string, change: Partial<HandoverChange>): Promise<void> =>
    dataSource.transaction((tx) =>
      t.app
        .get(UpdateConversationState)
        .apply(tx, [
          { conversationId, handover: false, handoverNote: null, release: false, ...change },
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
    // Opened by a referral: first and last at once, as the conversation row is inserted.
    const { id, contactId } = await conversation(referrals[0]);
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[0] });
    await open(contactId, referrals[1]);
    await open(contactId, referrals[2]);
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[2] });
    // An event without a referral leaves both.
    await open(contactId);
    expect(await state(id)).toMatchObject({ first: referrals[0], last: referrals[2] });
  });

  it('sets the first referral of a conversation opened without one by its first referral', async () => {
    const { id, contactId } = await conversation();
    expect(await state(id)).toMatchObject({ first: null, last: null });
    await open(contactId, referrals[1]);
    expect(await state(id)).toMatchObject({ first: referrals[1], last: referrals[1] });
  });

  it('keeps a conversation handed over until it is released', async () => {
    const { id, contactId } = await conversation();
    await changeHands(id, { handover: true, handoverNote: 'to an agent' });
    expect((await state(id)).handedOver).toBe(true);
    // A later referral, or another change without a handover, does not give it back.
    await open(contactId, referrals[1]);
    await changeHands(id, {});
    expect((await state(id)).handedOver).toBe(true);
    // A release wins, even over a handover in the same change.
    await changeHands(id, { release: true, handover: true });
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
