import { BotsModule, BotsService } from '../../src/bots';
import { type ContactKey, ContactsModule, ContactsService } from '../../src/contacts';
import { startServices, type ServiceContext } from './support/service-context';

describe('ContactsService (integration)', () => {
  let s: ServiceContext;
  let contacts: ContactsService;
  let botId: string;
  const key = (externalId: string): ContactKey => ({
    botId,
    channel: 'messenger',
    externalId,
    externalIdKind: 'psid',
  });

  beforeAll(async () => {
    s = await startServices([BotsModule, ContactsModule]);
    contacts = s.get(ContactsService);
    botId = (await s.get(BotsService).create({ name: 'Contacts bot' })).id;
  });
  afterAll(() => s.close());

  it('creates a contact once: the first sighting creates it, the next finds it', async () => {
    const first = await contacts.recordSeen(key('once'), new Date('2026-01-02T00:00:00Z'));
    const again = await contacts.recordSeen(key('once'), new Date('2026-01-03T00:00:00Z'));
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.contact.id).toBe(first.contact.id);
  });

  it("moves a contact's first-seen time only back and its last-seen time only forward", async () => {
    const t = (day: number): Date => new Date(Date.UTC(2026, 0, day));
    await contacts.recordSeen(key('late-event'), t(10));
    // Meta delivers an older event later: first seen moves back, last seen stays.
    const older = await contacts.recordSeen(key('late-event'), t(5));
    expect([older.contact.firstSeenAt, older.contact.lastSeenAt]).toEqual([t(5), t(10)]);
    const newer = await contacts.recordSeen(key('late-event'), t(20));
    expect([newer.contact.firstSeenAt, newer.contact.lastSeenAt]).toEqual([t(5), t(20)]);
  });

  it('keeps the names a profile lookup found when a later one finds none; looks up once', async () => {
    const t = (day: number): Date => new Date(Date.UTC(2026, 0, day));
    const found = await contacts.recordSeen(key('profiled'), t(1), undefined, {
      names: { firstName: 'Ada', lastName: 'Lovelace' },
    });
    const fetchedAt = found.contact.profileFetchedAt;
    expect(fetchedAt).not.toBeNull();
    // A later lookup that failed (null names) and a sighting without one both keep what is known.
    const failed = await contacts.recordSeen(key('profiled'), t(2), undefined, { names: null });
    const plain = await contacts.recordSeen(key('profiled'), t(3));
    for (const seen of [failed, plain]) {
      expect([seen.contact.firstName, seen.contact.lastName]).toEqual(['Ada', 'Lovelace']);
      expect(seen.contact.profileFetchedAt).toEqual(fetchedAt);
    }
    expect(await contacts.findMany([key('profiled'), key('never-seen')])).toEqual([
      { id: found.contact.id, profileFetched: true },
      null,
    ]);
  });

  it('keeps the contacts of two bots apart', async () => {
    const other = (await s.get(BotsService).create({ name: 'Other bot' })).id;
    const mine = await contacts.recordSeen(key('shared-psid'), new Date());
    const theirs = await contacts.recordSeen({ ...key('shared-psid'), botId: other }, new Date());
    expect(theirs.created).toBe(true);
    expect(theirs.contact.id).not.toBe(mine.contact.id);
  });
});
