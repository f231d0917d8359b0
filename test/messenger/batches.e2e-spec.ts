import { Client } from 'pg';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import {
  inboxIdsOf,
  inboxStatusesOf,
  startBatchApp,
  statementLabel as labelOf,
} from '../support/batch-support';
import { planModesOfPool } from '../support/plan-modes';
import { type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, textMessage } from '../support/messenger-payloads';
import { changeSchema } from '../support/schema-change';

/**
 * Inbound items asked for together are handled in shared transactions. Driven directly (an api-role
 * app runs no workers) so the batches are known: the first calls start a batch each (as many as run
 * in parallel), the rest wait and go together in the next free one.
 */
describe('Inbound items handled in batches', () => {
  let t: MessengerTestApp;
  let inbound: MessengerInboundService;

  const inboxIds = (psids: string[]) => inboxIdsOf(t.db, psids);
  const statuses = (psids: string[]) => inboxStatusesOf(t.db, psids);

  beforeAll(async () => {
    t = await startBatchApp();
    inbound = t.app.get(MessengerInboundService);
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

  it('plans the batch’s statements once per connection (generic plans, by index), in its transaction only', async () => {
    // What the planner settings say while the batch writes its replies, seen from inside Postgres.
    await changeSchema(
      t.db,
      `
      CREATE TABLE plan_modes_seen (mode text NOT NULL);
      CREATE FUNCTION note_plan_mode() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO plan_modes_seen VALUES (current_setting('plan_cache_mode') || '/' || current_setting('enable_seqscan')); RETURN NULL; END $$;
      CREATE TRIGGER note_plan_mode AFTER INSERT ON replies
        FOR EACH STATEMENT EXECUTE FUNCTION note_plan_mode();`,
    );
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
      await changeSchema(
        t.db,
        `DROP TABLE plan_modes_seen; DROP FUNCTION note_plan_mode() CASCADE`,
      );
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
