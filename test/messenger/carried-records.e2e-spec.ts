import { createReferral } from '../support/fixtures';
import { planModesOfPool } from '../support/plan-modes';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, textMessage } from '../support/messenger-payloads';
import { changeSchema } from '../support/schema-change';

/**
 * The real app (webhook and workers) under a trickle of deliveries, so sends end between batches
 * and their records wait for the next batch's transaction (SentMarks), while some of those
 * transactions fail at COMMIT after carrying records (a deferred trigger that fires only under the
 * batch's generic plans), and new contacts' profile look-ups are slow (read in the batch's
 * transaction). Every record is written once all the same.
 */
describe('Send records carried by inbound batches under a trickle', () => {
  let t: MessengerTestApp;
  const three = {
    messages: ['one', 'two', 'three'].map((value) => ({ type: 'text', text: value })),
  };

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'all' });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'three',
      content: three,
      segmentName: 'Three',
    });
    // Carrier transactions (the only ones under force_generic_plan) that marked messages sent
    // fail at COMMIT, the first 4 times: their carried marks must be written alone, once.
    await changeSchema(
      t.db,
      `
      CREATE SEQUENCE carried_fail;
      CREATE FUNCTION refuse_carried() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('plan_cache_mode') = 'force_generic_plan' THEN
          IF nextval('carried_fail') <= 4 THEN
            RAISE EXCEPTION 'carrier commit refused for the test';
          END IF;
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER refuse_carried AFTER UPDATE ON messages
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'sent')
        EXECUTE FUNCTION refuse_carried();`,
    );
    // Which statement (its transaction and start time) marked messages sent, and items handled.
    await changeSchema(
      t.db,
      `
      CREATE TABLE statements_seen (what text, txid bigint, at timestamptz);
      CREATE FUNCTION see_statement() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO statements_seen VALUES (TG_ARGV[0], txid_current(), statement_timestamp());
        RETURN NULL;
      END $$;
      CREATE TRIGGER see_sent AFTER UPDATE ON messages FOR EACH ROW
        WHEN (NEW.status = 'sent' AND OLD.status <> 'sent') EXECUTE FUNCTION see_statement('sent');
      CREATE TRIGGER see_handled AFTER UPDATE ON messenger_inbox FOR EACH ROW
        WHEN (NEW.status <> 'pending') EXECUTE FUNCTION see_statement('handled');`,
    );
  });
  afterAll(() => t.close());

  it('sends and records every message once, counts every answer once, and leaves no plan mode behind', async () => {
    t.graph.reset();
    t.graph.setProfileLatency(40);
    const psids = Array.from({ length: 40 }, (_, i) => `trickle-${i}`);
    for (const psid of psids) t.graph.setProfile(psid, { first_name: `F-${psid}`, last_name: 'L' });
    // A trickle (load shaping, not a wait): a delivery every ~15 ms, some contacts writing twice.
    for (const [i, psid] of psids.entries()) {
      const items = [getStartedWithRef({ pageId: t.pageId, psid, ref: 'three' })];
      if (i % 5 === 0)
        items.push(
          textMessage({ pageId: t.pageId, psid, text: 'more', timestamp: Date.now() + 1 }),
        );
      const response = await t.deliver(delivery(t.pageId, items));
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await t.quiesce(30_000);

    // The refusals happened: more than four carrier transactions carried records.
    const { rows: seq } = await t.db.query<{ v: string }>(
      `SELECT last_value AS v FROM carried_fail`,
    );
    expect(Number(seq[0].v)).toBeGreaterThan(4);

    // Nothing stuck: no message sending/pending, no reply pending, no item pending.
    const { rows: stuck } = await t.db.query(
      `SELECT status, count(*)::int AS n FROM messages WHERE direction = 'out' GROUP BY status`,
    );
    const { rows: replies } = await t.db.query(
      `SELECT status, count(*)::int AS n FROM replies GROUP BY status`,
    );
    const { rows: inbox } = await t.db.query(
      `SELECT status, count(*)::int AS n FROM messenger_inbox GROUP BY status`,
    );
    expect({ stuck, replies, inbox }).toEqual({
      stuck: [{ status: 'sent', n: 120 }],
      replies: [{ status: 'sent', n: 40 }],
      inbox: [{ status: 'processed', n: 48 }],
    });
    expect(
      await t.count(`SELECT count(*) AS n FROM messages WHERE status IN ('sending','pending')`),
    ).toBe(0);
    expect(
      await t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE status <> 'processed'`),
    ).toBe(0);

    // Each contact got the three messages of its Get Started answer, once each.
    for (const psid of psids) {
      const texts = t.graph.sendsTo(psid).map((send) => send.message?.text);
      expect([psid, texts.filter((x) => ['one', 'two', 'three'].includes(x))]).toEqual([
        psid,
        ['one', 'two', 'three'],
      ]);
    }
    // Answers sent counted once per entry.
    expect(
      await t.count(
        `SELECT coalesce(sum(answers_sent), 0)::int AS n FROM referral_stats
          WHERE source = '*' AND channel = '*'`,
      ),
    ).toBe(40);
    expect(
      await t.count(`SELECT count(*) AS n FROM referral_answers WHERE sent_at IS NOT NULL`),
    ).toBe(40);
    // Profiles: each looked up (at least once) and recorded.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM contacts WHERE external_id = ANY($1) AND first_name = 'F-' || external_id`,
        [psids],
      ),
    ).toBe(40);
    // Segment memberships: once each.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.name = 'Three'`,
      ),
    ).toBe(40);
    // A batch that carried records wrote them in its last statement, the one marking its items.
    const { rows: carriers } = await t.db.query<{ same: boolean; n: number }>(
      `SELECT EXISTS (SELECT 1 FROM statements_seen h
                       WHERE h.what = 'handled' AND h.txid = s.txid AND h.at = s.at) AS same,
              count(*)::int AS n
         FROM (SELECT DISTINCT txid, at FROM statements_seen WHERE what = 'sent') s
        WHERE EXISTS (SELECT 1 FROM statements_seen h WHERE h.what = 'handled' AND h.txid = s.txid)
        GROUP BY 1`,
    );
    expect(carriers).toEqual([{ same: true, n: expect.any(Number) }]);
    // The batch's planner settings never leak, even after the commits that failed.
    expect(new Set(await planModesOfPool(t.app))).toEqual(new Set(['auto/on']));
    expect(t.logs.text).not.toMatch(/unhandled/i);
  });
});
