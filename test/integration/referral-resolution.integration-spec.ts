import { BotsModule, BotsService, DEFAULT_WELCOME } from '../../src/bots';
import { ContactsModule, ContactsService } from '../../src/contacts';
import { type CreateReferralDto } from '../../src/referrals/dto/create-referral.dto';
import { ReferralsModule, ReferralsService, type ResolveInput } from '../../src/referrals';
import { startServices, type ServiceContext } from './support/service-context';

describe('ReferralsService.resolve (integration)', () => {
  let s: ServiceContext;
  let referrals: ReferralsService;
  let botId: string;
  let referralId: string;
  const springContent = { messages: [{ type: 'text' as const, text: 'Spring is here' }] };

  async function resolveFor(psid: string, ref: string | null, occurredAt = new Date()) {
    const seen = await s
      .get(ContactsService)
      .recordSeen(
        { botId, channel: 'messenger', externalId: psid, externalIdKind: 'psid' },
        occurredAt,
      );
    const input: ResolveInput = {
      botId,
      contactId: seen.contact.id,
      conversationId: null,
      channel: 'messenger',
      ref,
      source: 'SHORTLINK',
      occurredAt,
    };
    return { contactId: seen.contact.id, resolution: await referrals.resolve(input) };
  }

  beforeAll(async () => {
    s = await startServices([BotsModule, ContactsModule, ReferralsModule]);
    referrals = s.get(ReferralsService);
    botId = (await s.get(BotsService).create({ name: 'Resolution bot' })).id;
    const dto = {
      trackingParam: 'Spring-Sale',
      answerType: 'message',
      content: springContent,
      segmentName: 'Spring buyers',
    } as CreateReferralDto;
    referralId = (await referrals.create(botId, dto)).id;
  });
  afterAll(() => s.close());

  it('matches a ref case-insensitively: its answer, an entry and the segment membership', async () => {
    const { contactId, resolution } = await resolveFor('new-person', 'spring-sale');
    expect(resolution.referral).toEqual({ id: referralId, trackingParam: 'Spring-Sale' });
    expect(resolution.answer).toEqual({ content: springContent });
    expect(resolution.isNewContact).toBe(true);
    const entries = await s.dataSource.query(
      'SELECT referral_id, raw_ref FROM referral_entries WHERE contact_id = $1',
      [contactId],
    );
    expect(entries).toEqual([{ referral_id: referralId, raw_ref: 'spring-sale' }]);
    const members = await s.dataSource.query(
      `SELECT s.name FROM segment_members m JOIN segments s ON s.id = m.segment_id
        WHERE m.contact_id = $1`,
      [contactId],
    );
    expect(members).toEqual([{ name: 'Spring buyers' }]);
  });

  it('answers an unknown ref with the welcome and keeps the raw ref', async () => {
    const { contactId, resolution } = await resolveFor('curious', 'no-such-ref');
    expect(resolution.referral).toBeNull();
    expect(resolution.answer).toEqual({ content: DEFAULT_WELCOME });
    const entries = await s.dataSource.query(
      'SELECT referral_id, raw_ref FROM referral_entries WHERE contact_id = $1',
      [contactId],
    );
    expect(entries).toEqual([{ referral_id: null, raw_ref: 'no-such-ref' }]);
  });

  it('counts a contact seen before the entry as returning', async () => {
    await resolveFor('returning', null, new Date('2026-01-01T00:00:00Z'));
    const { resolution } = await resolveFor(
      'returning',
      'spring-sale',
      new Date('2026-02-01T00:00:00Z'),
    );
    expect(resolution.isNewContact).toBe(false);
  });

  it("moves a merged contact's entries: new only at the person's first sighting, first and last entry kept", async () => {
    const day = (d: number): Date => new Date(Date.UTC(2026, 2, d));
    const survivor = await resolveFor('merge-survivor', 'spring-sale', day(1));
    const absorbed = await resolveFor('merge-absorbed', 'spring-sale', day(5));
    await resolveFor('merge-absorbed', 'spring-sale', day(8));
    await s.dataSource.transaction((tx) =>
      referrals.moveEntries(tx, {
        botId,
        fromContactId: absorbed.contactId,
        toContactId: survivor.contactId,
        fromConversationId: null,
        toConversationId: null,
        firstSeenAt: day(1),
      }),
    );
    const entries = await s.dataSource.query<{ contactId: string; isNew: boolean }[]>(
      `SELECT contact_id AS "contactId", is_new_contact AS "isNew" FROM referral_entries
        WHERE contact_id = ANY($1) ORDER BY occurred_at`,
      [[survivor.contactId, absorbed.contactId]],
    );
    // The person is new once: at day 1; the absorbed id's first entry (day 5) no longer counts.
    expect(entries).toEqual([
      { contactId: survivor.contactId, isNew: true },
      { contactId: survivor.contactId, isNew: false },
      { contactId: survivor.contactId, isNew: false },
    ]);
    const funnel = await s.dataSource.query<{ contactId: string; first: Date; last: Date }[]>(
      `SELECT contact_id AS "contactId", first_entered_at AS first, last_entered_at AS last
         FROM referral_contacts WHERE contact_id = ANY($1)`,
      [[survivor.contactId, absorbed.contactId]],
    );
    expect(funnel).toEqual([{ contactId: survivor.contactId, first: day(1), last: day(8) }]);
  });
});
