import { BotsModule, BotsService } from '../../src/bots';
import { Client } from 'pg';
import { QueryFailedError, type QueryRunner } from 'typeorm';
import { type ContactKey, contactKeyOf, ContactsModule, ContactsService } from '../../src/contacts';
import { pipelinedTransaction } from '../../src/database';
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
    s = await startServices([BotsModule, ContactsModule], { DB_POOL_SIZE: '2' });
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

  describe('with keys read absent (the Messenger batch’s)', () => {
    // One connection held: every transaction gets the other, so a statement one prepared is
    // prepared for the next.
    let holder: QueryRunner;
    beforeAll(async () => {
      holder = s.dataSource.createQueryRunner();
      await holder.connect();
    });
    afterAll(() => holder.release());
    const stored = async (externalId: string): Promise<Record<string, unknown>> => {
      const [row] = await s.dataSource.query<Record<string, unknown>[]>(
        `SELECT id, bot_id AS "botId", channel, external_id AS "externalId",
                external_id_kind AS "externalIdKind", first_name AS "firstName", last_name AS "lastName",
                profile_fetched_at AS "profileFetchedAt", first_seen_at AS "firstSeenAt",
                last_seen_at AS "lastSeenAt", created_at AS "createdAt"
           FROM contacts WHERE bot_id = $1 AND external_id = $2`,
        [botId, externalId],
      );
      return row;
    };

    it('inserts those without an answer and answers as the stored rows read, the others upserted, in order', async () => {
      const seenAt = new Date('2026-02-01T10:00:00.123Z');
      await contacts.recordSeen(key('absent-known'), new Date('2026-01-01T00:00:00Z'));
      // Prepared on the connection, so that it can travel as a literal with the next statement.
      await pipelinedTransaction(s.dataSource, (tx) =>
        contacts.recordSeenMany(
          [{ key: key('absent-warm'), seenAt }],
          tx,
          new Set([contactKeyOf(key('absent-warm'))]),
        ),
      );
      const query = jest.spyOn(Client.prototype, 'query');
      const seen = await pipelinedTransaction(s.dataSource, (tx) =>
        contacts.recordSeenMany(
          [
            {
              key: key('absent-new'),
              seenAt,
              profile: { names: { firstName: 'Ana', lastName: null } },
            },
            { key: key('absent-known'), seenAt },
            { key: key('absent-unprofiled'), seenAt },
          ],
          tx,
          new Set([contactKeyOf(key('absent-new')), contactKeyOf(key('absent-unprofiled'))]),
        ),
      );
      const texts = query.mock.calls.map(([config]) => String(config));
      query.mockRestore();
      // Carried: it travelled in front of the upsert, with no round trip of its own.
      expect(
        texts.filter((sql) =>
          /EXECUTE "contact_insert_absent".*; EXECUTE "contact_seen_many"/s.test(sql),
        ),
      ).toHaveLength(1);
      expect(seen.map((one) => [one.contact.externalId, one.created])).toEqual([
        ['absent-new', true],
        ['absent-known', false],
        ['absent-unprofiled', true],
      ]);
      expect(seen[0].contact).toEqual(await stored('absent-new'));
      expect(seen[0].contact).toMatchObject({
        firstName: 'Ana',
        firstSeenAt: seenAt,
        lastSeenAt: seenAt,
      });
      expect(seen[0].contact.profileFetchedAt).not.toBeNull();
      expect(seen[2].contact).toEqual(await stored('absent-unprofiled'));
      expect(seen[2].contact.profileFetchedAt).toBeNull();
    });

    it('fails the transaction when a key read absent has a contact after all', async () => {
      const before = await contacts.recordSeen(
        key('absent-wrong'),
        new Date('2026-01-01T00:00:00Z'),
      );
      const attempt = pipelinedTransaction(s.dataSource, (tx) =>
        contacts.recordSeenMany(
          [{ key: key('absent-wrong'), seenAt: new Date('2026-03-01T00:00:00Z') }],
          tx,
          new Set([contactKeyOf(key('absent-wrong'))]),
        ),
      );
      await expect(attempt).rejects.toBeInstanceOf(QueryFailedError);
      await expect(attempt).rejects.toMatchObject({ driverError: { code: '23505' } });
      expect((await stored('absent-wrong')).id).toBe(before.contact.id);
    });
  });
});
