import { BotsModule, BotsService } from '../../src/bots';
import { ContactsModule, ContactsService } from '../../src/contacts';
import { ModulesModule, ModulesService } from '../../src/modules';
import { SegmentsModule, SegmentsService } from '../../src/segments';
import { startServices, type ServiceContext } from './support/service-context';

describe('SegmentsService and ModulesService (integration)', () => {
  let s: ServiceContext;
  let segments: SegmentsService;
  let modules: ModulesService;
  let botId: string;
  let otherBotId: string;

  const contactOf = async (bot: string, psid: string): Promise<string> =>
    (
      await s
        .get(ContactsService)
        .recordSeen(
          { botId: bot, channel: 'messenger', externalId: psid, externalIdKind: 'psid' },
          new Date(),
        )
    ).contact.id;

  beforeAll(async () => {
    s = await startServices([BotsModule, ContactsModule, SegmentsModule, ModulesModule]);
    segments = s.get(SegmentsService);
    modules = s.get(ModulesService);
    const bots = s.get(BotsService);
    botId = (await bots.create({ name: 'Segments bot' })).id;
    otherBotId = (await bots.create({ name: 'Another tenant' })).id;
  });
  afterAll(() => s.close());

  it('finds a segment by name case-insensitively, or creates it', async () => {
    const created = await segments.findOrCreateByName(botId, 'Spring buyers');
    const found = await segments.findOrCreateByName(botId, 'SPRING BUYERS');
    expect(found).toEqual(created);
  });

  it('adds a member once, and never a contact or segment of another bot', async () => {
    const segment = await segments.findOrCreateByName(botId, 'Members');
    const contactId = await contactOf(botId, 'member-1');
    const foreignContact = await contactOf(otherBotId, 'member-1');
    const member = { botId, segmentId: segment.id, contactId, joinedAt: new Date() };
    expect(await segments.addMember(member)).toBe(true);
    expect(await segments.addMember(member)).toBe(false);
    expect(await segments.addMember({ ...member, contactId: foreignContact })).toBe(false);
    expect(await segments.addMember({ ...member, botId: otherBotId })).toBe(false);
    const page = await segments.members(botId, segment.id, { limit: 50 });
    expect(page.items.map((m) => m.contactId)).toEqual([contactId]);
  });

  it("moves a merged contact's memberships, keeping the earlier join where both were members", async () => {
    const day = (d: number): Date => new Date(Date.UTC(2026, 3, d));
    const [both, onlyAbsorbed] = await Promise.all([
      segments.findOrCreateByName(botId, 'Both ids'),
      segments.findOrCreateByName(botId, 'Absorbed id only'),
    ]);
    const survivor = await contactOf(botId, 'merge-survivor');
    const absorbed = await contactOf(botId, 'merge-absorbed');
    const join = (segmentId: string, contactId: string, joinedAt: Date) =>
      segments.addMember({ botId, segmentId, contactId, joinedAt });
    await join(both.id, survivor, day(9));
    await join(both.id, absorbed, day(2));
    await join(onlyAbsorbed.id, absorbed, day(4));
    await s.dataSource.transaction((tx) => segments.moveMembers(tx, botId, absorbed, survivor));
    const rows = await s.dataSource.query<{ segmentId: string; contactId: string; at: Date }[]>(
      `SELECT segment_id AS "segmentId", contact_id AS "contactId", joined_at AS at
         FROM segment_members WHERE contact_id = ANY($1) ORDER BY joined_at`,
      [[survivor, absorbed]],
    );
    expect(rows).toEqual([
      { segmentId: both.id, contactId: survivor, at: day(2) },
      { segmentId: onlyAbsorbed.id, contactId: survivor, at: day(4) },
    ]);
  });

  it("enters a module: the instance's answer, or null when it is gone or another bot's", async () => {
    const content = { messages: [{ type: 'text' as const, text: 'All the details' }] };
    const details = await modules.create(botId, {
      name: 'Details',
      type: 'message',
      config: { content },
    });
    expect(await modules.enter(botId, details.id)).toEqual({ content });
    expect(await modules.enter(otherBotId, details.id)).toBeNull();
    await modules.remove(botId, details.id);
    expect(await modules.enter(botId, details.id)).toBeNull();
  });
});
