import { Client } from 'pg';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import { createReferral, text } from '../support/fixtures';
import { planModesOfPool } from '../support/plan-modes';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, textMessage } from '../support/messenger-payloads';

/**
 * Inbound items asked for together are handled in shared transactions. Driven directly (an api-role
 * app runs no workers) so the batches are known: the first calls start a batch each (as many as run
 * in parallel), the rest wait and go together in the next free one.
 */
describe('Inbound items handled in batches', () => {
  let t: MessengerTestApp;
  let inbound: MessengerInboundService;

  const inboxIds = async (psids: string[]): Promise<string[]> => {
    const { rows } = await t.db.query<{ id: string }>(
      `SELECT id FROM messenger_inbox WHERE payload->'sender'->>'id' = ANY($1) ORDER BY id`,
      [psids],
    );
    return rows.map((row) => row.id);
  };
  const statuses = async (psids: string[]): Promise<Record<string, string>> => {
    const { rows } = await t.db.query<{ psid: string; status: string }>(
      `SELECT payload->'sender'->>'id' AS psid, string_agg(status, ',' ORDER BY id) AS status
         FROM messenger_inbox WHERE payload->'sender'->>'id' = ANY($1) GROUP BY 1`,
      [psids],
    );
    return Object.fromEntries(rows.map((row) => [row.psid, row.status]));
  };

  /** A new person's Get Started with `ref`, then a text 5 ms later; their two inbox ids. */
  const getStartedThenText = async (psid: string, ref: string, text: string) => {
    const now = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid, ref, timestamp: now }),
        textMessage({ pageId: t.pageId, psid, text, timestamp: now + 5 }),
      ]),
    );
    const ids = await inboxIds([psid]);
    expect(ids).toHaveLength(2);
    return { now, ids };
  };
  /** A statement as node-postgres was handed it: its name when prepared, else its text. */
  const labelOf = (config: unknown): string =>
    typeof config === 'string'
      ? config
      : ((config as { name?: string }).name ?? (config as { text: string }).text);

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'api' });
    inbound = t.app.get(MessengerInboundService);
    await createReferral(t.admin, t.botId, {
      trackingParam: 'batch',
      content: text('Hi {{contact.firstName|there}}'),
      segmentName: 'Batch',
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'explode',
      content: text('Never sent'),
      segmentName: 'Explode',
    });
    // A real failure inside Postgres for one item: its entry cannot be written.
    await t.db.query(`
      CREATE FUNCTION refuse_entry() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'entry refused for the test'; END $$;
      CREATE TRIGGER refuse_entry BEFORE INSERT ON referral_entries
        FOR EACH ROW WHEN (NEW.raw_ref = 'explode') EXECUTE FUNCTION refuse_entry();`);
  });
  afterAll(() => t.close());

  it('answers every item of a batch once, a contact’s items in order, with one lookup per contact', async () => {
    const psids = Array.from({ length: 10 }, (_, i) => `batch-user-${i}`);
    const now = Date.now();
    await t.deliver(
      delivery(t.pageId, [
        ...psids.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'batch' })),
        textMessage({ pageId: t.pageId, psid: psids[9], text: 'and then?', timestamp: now + 5 }),
      ]),
    );
    const ids = await inboxIds(psids);
    expect(ids).toHaveLength(11);
    t.graph.reset();
    await Promise.all(ids.map((id) => inbound.process(id)));

    expect(Object.values(await statuses(psids))).toEqual([
      ...Array(9).fill('processed'),
      'processed,processed',
    ]);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
          WHERE c.external_id = ANY($1) AND e.raw_ref = 'batch'`,
        [psids],
      ),
    ).toBe(10);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.name = 'Batch'`,
      ),
    ).toBe(10);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM messages m JOIN replies r ON r.id = m.reply_id WHERE r.status = 'pending'`,
      ),
    ).toBe(10);
    // The last contact's text came after its Get Started: logged after it.
    const { rows } = await t.db.query<{ text: string | null }>(
      `SELECT m.text FROM messages m JOIN conversations v ON v.id = m.conversation_id
         JOIN contacts c ON c.id = v.contact_id
        WHERE c.external_id = $1 AND m.direction = 'in' ORDER BY m.id`,
      [psids[9]],
    );
    expect(rows.map((row) => row.text)).toEqual(['Get Started', 'and then?']);
    expect(t.graph.profileRequests).toHaveLength(10);

    // Asked again (a retried job): nothing more happens.
    await Promise.all(ids.map((id) => inbound.process(id)));
    expect(await t.count(`SELECT count(*) AS n FROM replies`)).toBe(10);
  });

  it('handles the rest of a failed batch one by one, so only the bad item fails', async () => {
    const psids = Array.from({ length: 8 }, (_, i) => `mixed-user-${i}`);
    await t.deliver(
      delivery(
        t.pageId,
        psids.map((psid, i) =>
          getStartedWithRef({ pageId: t.pageId, psid, ref: i === 6 ? 'explode' : 'batch' }),
        ),
      ),
    );
    const ids = await inboxIds(psids);
    const outcomes = await Promise.allSettled(ids.map((id) => inbound.process(id)));

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      ...Array(6).fill('fulfilled'),
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[6] as PromiseRejectedResult).reason.message).toContain(
      'entry refused for the test',
    );
    expect(t.logs.text).toContain('handling them one by one');
    const byPsid = await statuses(psids);
    expect(psids.map((psid) => byPsid[psid])).toEqual([
      ...Array(6).fill('processed'),
      'pending',
      'processed',
    ]);
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
          WHERE c.external_id = ANY($1)`,
        [psids],
      ),
    ).toBe(7);
  });

  it('opens a new contact’s conversation once, as a new one reads, when its older item runs in a savepoint (a batch of one)', async () => {
    const psid = 'new-twice-user';
    const { now, ids } = await getStartedThenText(psid, 'batch', 'still there?');
    // Only the newer item asked: a batch of one, whose contact's older item runs in a savepoint.
    const query = jest.spyOn(Client.prototype, 'query');
    try {
      await inbound.process(ids[1]);
      // The older item opened it (in its savepoint, at once); the newer one found it.
      expect(
        query.mock.calls.filter(([config]) =>
          /"?conversations_open_new@batch/.test(labelOf(config)),
        ),
      ).toHaveLength(1);
    } finally {
      query.mockRestore();
    }

    expect(await statuses([psid])).toEqual({ [psid]: 'processed,processed' });
    const { rows } = await t.db.query(
      `SELECT v.handed_over AS "handedOver", v.started_at AS "startedAt",
              v.last_inbound_at AS "lastInboundAt", f.tracking_param AS first, l.tracking_param AS last,
              (SELECT array_agg(m.text ORDER BY m.id) FROM messages m
                WHERE m.conversation_id = v.id AND m.direction = 'in') AS texts,
              (SELECT array_agg(e.conversation_id = v.id) FROM referral_entries e
                WHERE e.contact_id = c.id) AS "entryOnIt",
              (SELECT count(*)::int FROM replies r JOIN messages m ON m.reply_id = r.id
                WHERE r.conversation_id = v.id AND m.text LIKE 'Hi %') AS answered
         FROM conversations v JOIN contacts c ON c.id = v.contact_id
         LEFT JOIN referrals f ON f.id = v.first_referral_id
         LEFT JOIN referrals l ON l.id = v.last_referral_id
        WHERE c.external_id = $1`,
      [psid],
    );
    expect(rows).toEqual([
      {
        handedOver: false,
        startedAt: new Date(now),
        lastInboundAt: new Date(now + 5),
        first: 'batch',
        last: 'batch',
        texts: ['Get Started', 'still there?'],
        entryOnIt: [true],
        answered: 1,
      },
    ]);
  });

  it('opens a new contact’s conversation for its next item when its first item’s savepoint rolled back', async () => {
    const psid = 'new-rolled-back-user';
    const { now, ids } = await getStartedThenText(psid, 'explode', 'anyone?');
    // The older item fails in its savepoint after its conversation was inserted there.
    await inbound.process(ids[1]);

    expect(await statuses([psid])).toEqual({ [psid]: 'pending,processed' });
    const { rows } = await t.db.query(
      `SELECT v.started_at AS "startedAt", v.first_referral_id AS "firstReferralId",
              (SELECT array_agg(m.text ORDER BY m.id) FROM messages m
                WHERE m.conversation_id = v.id AND m.direction = 'in') AS texts
         FROM conversations v JOIN contacts c ON c.id = v.contact_id WHERE c.external_id = $1`,
      [psid],
    );
    expect(rows).toEqual([
      { startedAt: new Date(now + 5), firstReferralId: null, texts: ['anyone?'] },
    ]);
  });

  it('plans the batch’s statements once per connection (generic plans, by index), in its transaction only', async () => {
    // What the planner settings say while the batch writes its replies, seen from inside Postgres.
    await t.db.query(`
      CREATE TABLE plan_modes_seen (mode text NOT NULL);
      CREATE FUNCTION note_plan_mode() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO plan_modes_seen VALUES (current_setting('plan_cache_mode') || '/' || current_setting('enable_seqscan')); RETURN NULL; END $$;
      CREATE TRIGGER note_plan_mode AFTER INSERT ON replies
        FOR EACH STATEMENT EXECUTE FUNCTION note_plan_mode();`);
    try {
      const psids = ['plans-user-0', 'plans-user-1'];
      await t.deliver(
        delivery(
          t.pageId,
          psids.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'batch' })),
        ),
      );
      await Promise.all((await inboxIds(psids)).map((id) => inbound.process(id)));

      const { rows } = await t.db.query<{ mode: string }>(`SELECT mode FROM plan_modes_seen`);
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((row) => row.mode))).toEqual(new Set(['force_generic_plan/off']));
      // Local to the transaction: every connection of the pool is back to Postgres's defaults.
      expect(new Set(await planModesOfPool(t.app))).toEqual(new Set(['auto/on']));
    } finally {
      await t.db.query(`DROP TABLE plan_modes_seen; DROP FUNCTION note_plan_mode() CASCADE`);
    }
  });

  it('sends a batch’s BEGIN with its first statement and its new people’s contacts, conversations, entries, replies and COMMIT with its last, once they are prepared; its referrals are read with its locks', async () => {
    const psids = Array.from({ length: 6 }, (_, i) => `pipelined-user-${i}`);
    await t.deliver(
      delivery(
        t.pageId,
        psids.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'batch' })),
      ),
    );
    const ids = await inboxIds(psids);
    const query = jest.spyOn(Client.prototype, 'query');
    try {
      // One batch after another: the pool hands the same connection on, its statements prepared.
      const roundTrips: number[] = [];
      for (const id of ids) {
        const before = query.mock.calls.length;
        await inbound.process(id);
        roundTrips.push(query.mock.calls.length - before);
      }
      // Once its statements are prepared there: the item read (a job's), then the batch of a new
      // person's referral entry in two.
      expect(roundTrips.slice(-2)).toEqual([3, 3]);
      const texts = query.mock.calls.map(([config]) =>
        typeof config === 'string' ? config : (config as { text: string }).text,
      );
      expect(
        texts.filter((sql) =>
          sql.startsWith('BEGIN; EXECUTE "messenger_inbox_lock_pending@batch"'),
        ),
      ).not.toHaveLength(0);
      // A new person's contact and conversation, the entries' and the replies' statements travel
      // with the last one (carried): no round trip of their own, and no upsert of either.
      const carried =
        /^EXECUTE "contact_insert_absent@batch".*; EXECUTE "conversations_open_new@batch".*; EXECUTE "referral_entries_record@batch".*; EXECUTE "replies_store\w*@batch".*; EXECUTE "messenger_inbox_mark_many\w*@batch".*; COMMIT$/s;
      expect(texts.filter((sql) => carried.test(sql))).not.toHaveLength(0);
      expect(
        texts.filter(
          (sql) =>
            /EXECUTE "(contact_insert_absent|conversations_open_new|referral_entries_record|replies_store)/.test(
              sql,
            ) && !sql.endsWith('; COMMIT'),
        ),
      ).toEqual([]);
      const prepared = (config: unknown): string | undefined => (config as { name?: string }).name;
      for (const upsert of ['conversations_open@batch', 'contact_seen_many@batch']) {
        expect(query.mock.calls.filter(([config]) => prepared(config) === upsert)).toEqual([]);
        expect(texts.filter((sql) => sql.includes(`EXECUTE "${upsert}"`))).toEqual([]);
      }
      // The referrals ride the first statement (referrals_find_active): no look-up of their own.
      const labels = query.mock.calls.map(([config]) => labelOf(config));
      expect(
        labels.filter((label) =>
          /referral_find_active_many|referrals_find_active\(\$1/.test(label),
        ),
      ).toEqual([]);
    } finally {
      query.mockRestore();
    }
    expect(Object.values(await statuses(psids))).toEqual(psids.map(() => 'processed'));
    // Each entered the referral its ref names, and was answered as it says.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
           JOIN referrals r ON r.id = e.referral_id AND r.tracking_param = 'batch'
          WHERE c.external_id = ANY($1)`,
        [psids],
      ),
    ).toBe(psids.length);
  });

  it('looks up, in a batch of several contacts, only the profiles never looked up', async () => {
    const known = ['mixed-known-0', 'mixed-known-1'];
    const fresh = ['mixed-new-0', 'mixed-new-1'];
    await t.deliver(
      delivery(
        t.pageId,
        known.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'batch' })),
      ),
    );
    await Promise.all((await inboxIds(known)).map((id) => inbound.process(id)));
    t.graph.reset();
    // Known and new contacts interleaved, so the known ones' items are not the batch's first.
    const mixed = [fresh[0], known[0], fresh[1], known[1]];
    await t.deliver(
      delivery(
        t.pageId,
        mixed.map((psid) => textMessage({ pageId: t.pageId, psid, text: 'again' })),
      ),
    );
    const idOf = async (psid: string): Promise<string> => {
      const { rows } = await t.db.query<{ id: string }>(
        `SELECT id FROM messenger_inbox WHERE status = 'pending' AND payload->'sender'->>'id' = $1`,
        [psid],
      );
      expect(rows).toHaveLength(1);
      return rows[0].id;
    };
    // The first call is a batch alone; the next three go together, a new contact first.
    const order = [known[1], fresh[0], known[0], fresh[1]];
    const ids = await Promise.all(order.map(idOf));
    await Promise.all(ids.map((id) => inbound.process(id)));
    expect(t.graph.profileRequests.map((request) => request.psid).sort()).toEqual(fresh);
    expect(await statuses(mixed)).toEqual({
      [known[0]]: 'processed,processed',
      [known[1]]: 'processed,processed',
      [fresh[0]]: 'processed',
      [fresh[1]]: 'processed',
    });
  });
});
