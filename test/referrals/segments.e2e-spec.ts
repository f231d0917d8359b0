import { ContactsService } from '../../src/contacts';
import { SegmentsService } from '../../src/segments';
import { bulkContacts, createBot, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('Segments', () => {
  let t: TestApp;
  let segments: SegmentsService;
  let contacts: ContactsService;
  let botId: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    segments = t.app.get(SegmentsService);
    contacts = t.app.get(ContactsService);
    botId = (await createBot(t.admin, 'Segments bot')).id;
    base = `/api/v1/bots/${botId}/segments`;
  });
  afterAll(() => t.close());

  async function newContact(
    bot: string,
    psid: string,
    firstName: string | null = null,
  ): Promise<string> {
    const { contact } = await contacts.recordSeen(
      { botId: bot, channel: 'messenger', externalId: psid, externalIdKind: 'psid' },
      new Date(),
      undefined,
      firstName ? { names: { firstName, lastName: 'Tester' } } : undefined,
    );
    return contact.id;
  }

  async function bulkJoin(bot: string, segmentId: string, contactIds: string[]): Promise<void> {
    await t.db.query(
      `INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at)
       SELECT $1, unnest($2::uuid[]), $3, now()`,
      [segmentId, contactIds, bot],
    );
  }

  it('creates segments with unique names per bot, compared case-insensitively', async () => {
    const created = await t.admin.post(base, { name: '  Newsletter  ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'Newsletter',
      memberCount: 0,
      createdAt: expect.any(String),
    });
    const duplicate = await t.admin.post(base, { name: 'NEWSLETTER' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('SEGMENT_NAME_TAKEN');
    for (const name of ['', 'x'.repeat(101)]) {
      expect((await t.admin.post(base, { name })).status).toBe(400);
    }
    expect((await t.admin.get(`${base}/${created.body.id}`)).body.name).toBe('Newsletter');
  });

  it('adds members idempotently and lists them latest first with their referral', async () => {
    const segment = (await t.admin.post(base, { name: 'Members test' })).body;
    const ann = await newContact(botId, 'psid-ann', 'Ann');
    const bob = await newContact(botId, 'psid-bob', 'Bob');
    // A referral that exists: segment_members.referral_id is a foreign key.
    const referralId = (await createReferral(t.admin, botId, { trackingParam: 'flyer' })).id;
    const first = await segments.addMember({
      botId,
      segmentId: segment.id,
      contactId: ann,
      joinedAt: new Date('2026-01-01T10:00:00Z'),
      referralId,
      trackingParam: 'flyer',
    });
    const again = await segments.addMember({
      botId,
      segmentId: segment.id,
      contactId: ann,
      joinedAt: new Date('2026-02-01T10:00:00Z'),
    });
    expect([first, again]).toEqual([true, false]);
    await segments.addMember({
      botId,
      segmentId: segment.id,
      contactId: bob,
      joinedAt: new Date('2026-01-02T10:00:00Z'),
    });

    const listed = await t.admin.get(`${base}/${segment.id}/members?limit=1`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      {
        contactId: bob,
        channel: 'messenger',
        firstName: 'Bob',
        lastName: 'Tester',
        joinedAt: '2026-01-02T10:00:00.000Z',
        referral: null,
      },
    ]);
    const next = await t.admin.get(
      `${base}/${segment.id}/members?limit=1&cursor=${listed.body.nextCursor}`,
    );
    expect(next.body.items).toEqual([
      expect.objectContaining({
        contactId: ann,
        joinedAt: '2026-01-01T10:00:00.000Z',
        referral: { id: referralId, trackingParam: 'flyer' },
      }),
    ]);
    expect(next.body.nextCursor).toBeNull();
    const counts = await t.admin.get(base);
    expect(counts.body.items.find((s: { id: string }) => s.id === segment.id).memberCount).toBe(2);
  });

  it("does not add a contact to another bot's segment", async () => {
    const other = await createBot(t.admin, 'Other');
    const foreignSegment = await segments.findOrCreateByName(other.id, 'Theirs');
    const mine = await newContact(botId, 'psid-mine');
    expect(
      await segments.addMember({
        botId,
        segmentId: foreignSegment.id,
        contactId: mine,
        joinedAt: new Date(),
      }),
    ).toBe(false);
  });

  describe('audience', () => {
    let bot: string;
    let a: string;
    let b: string;
    let c: string;
    const contactIds: string[] = [];

    beforeAll(async () => {
      bot = (await createBot(t.admin, 'Audience bot')).id;
      a = (await segments.findOrCreateByName(bot, 'A')).id;
      b = (await segments.findOrCreateByName(bot, 'B')).id;
      c = (await segments.findOrCreateByName(bot, 'C')).id;
      contactIds.push(...(await bulkContacts(t.db, bot, 3000, 'aud-')));
      // A: contacts 0..1999, B: 1000..2999, C: every third contact.
      await bulkJoin(bot, a, contactIds.slice(0, 2000));
      await bulkJoin(bot, b, contactIds.slice(1000));
      await bulkJoin(
        bot,
        c,
        contactIds.filter((_, i) => i % 3 === 0),
      );
      // Another bot with members in a segment of the same name must never leak in.
      const other = (await createBot(t.admin, 'Noise')).id;
      const noise = (await segments.findOrCreateByName(other, 'A')).id;
      await bulkJoin(other, noise, await bulkContacts(t.db, other, 500, 'noise-'));
    });

    async function all(query: {
      include?: string[];
      intersect?: string[];
      exclude?: string[];
    }): Promise<string[]> {
      const ids: string[] = [];
      for await (const batch of segments.streamAudience(bot, query, 700)) {
        expect(batch.length).toBeLessThanOrEqual(700);
        ids.push(...batch);
      }
      return ids;
    }

    const expected = (pick: (i: number) => boolean): string[] =>
      contactIds.filter((_, i) => pick(i)).sort();

    it('includes the union without duplicates, in contact-id order', async () => {
      const ids = await all({ include: [a, b] });
      expect(ids).toEqual(expected(() => true));
      expect(new Set(ids).size).toBe(3000);
    });

    it('intersects and excludes', async () => {
      expect(await all({ include: [a], intersect: [b] })).toEqual(
        expected((i) => i >= 1000 && i < 2000),
      );
      expect(await all({ intersect: [a, b] })).toEqual(expected((i) => i >= 1000 && i < 2000));
      expect(await all({ include: [a, b], exclude: [c] })).toEqual(expected((i) => i % 3 !== 0));
      expect(await all({ include: [a], intersect: [b], exclude: [c] })).toEqual(
        expected((i) => i >= 1000 && i < 2000 && i % 3 !== 0),
      );
    });

    it('pages with a cursor', async () => {
      const first = await segments.audience(bot, { include: [c] }, null, 600);
      const second = await segments.audience(bot, { include: [c] }, first.next, 600);
      expect(first.contactIds).toHaveLength(600);
      expect(second.contactIds).toHaveLength(400);
      expect(second.next).toBeNull();
      expect([...first.contactIds, ...second.contactIds]).toEqual(expected((i) => i % 3 === 0));
    });

    it("refuses an empty audience and another bot's segments", async () => {
      await expect(segments.audience(bot, { exclude: [c] })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      const foreign = await segments.findOrCreateByName(botId, 'Elsewhere');
      await expect(segments.audience(bot, { include: [foreign.id] })).rejects.toMatchObject({
        code: 'SEGMENT_NOT_FOUND',
      });
    });
  });
});
