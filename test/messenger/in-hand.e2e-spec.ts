import { getQueueToken } from '@nestjs/bull';
import { type Queue } from 'bull';
import { SentMarks } from '../../src/conversations';
import { InboxRepository } from '../../src/messenger/inbox.repository';
import { IN_HAND_MAX, InboundInHand } from '../../src/messenger/inbound/in-hand';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import { QueueName } from '../../src/queues';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef, textMessage } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import { changeSchema } from '../support/schema-change';

type AddBulk = Queue['addBulk'];

/** The inbox ids of the jobs a queue was asked to add while `spy` watched it. */
const queuedIds = (spy: jest.SpyInstance<ReturnType<AddBulk>, Parameters<AddBulk>>): string[] =>
  spy.mock.calls.flatMap(([jobs]) => jobs.map((job) => String(job.opts?.jobId)));

/**
 * A process that takes the webhook and runs the workers handles the items it stored itself, with
 * no queue hop and no read back (issue 15); the queue takes what does not fit, what failed in hand,
 * and everything when MESSENGER_INBOUND_IN_PROCESS is off.
 */
describe('Webhook items handled in hand', () => {
  let t: MessengerTestApp;
  let inbound: Queue;
  let addBulk: jest.SpyInstance<ReturnType<AddBulk>, Parameters<AddBulk>>;

  const inboxIdOf = async (psid: string): Promise<string> => {
    const { rows } = await t.db.query<{ id: string }>(
      `SELECT id FROM messenger_inbox WHERE sender_key = $1`,
      [`psid:${psid}`],
    );
    return rows[0].id;
  };
  const start = (psids: string[], ref = 'hand'): Promise<unknown> =>
    t.deliver(
      delivery(
        t.pageId,
        psids.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref })),
      ),
    );

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'all' });
    await createReferral(t.admin, t.botId, { trackingParam: 'hand', content: text('In hand') });
    await createReferral(t.admin, t.botId, { trackingParam: 'refused', content: text('Later') });
    inbound = t.app.get<Queue>(getQueueToken(QueueName.MessengerInbound));
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.graph.reset();
    addBulk = jest.spyOn(inbound, 'addBulk');
  });
  afterEach(() => addBulk.mockRestore());

  it('answers an item without queueing it or reading it back', async () => {
    const pending = jest.spyOn(t.app.get(InboxRepository), 'pending');
    try {
      await start(['hand-1']);
      const [sent] = await t.graph.waitForSends(1);
      expect(sent.recipient).toEqual({ id: 'hand-1' });
      await t.settle();
      expect(queuedIds(addBulk)).toEqual([]);
      expect(pending).not.toHaveBeenCalled();
      expect(t.app.get(InboundInHand).inFlight).toBe(0);
    } finally {
      pending.mockRestore();
    }
  });

  it('answers a contact’s items that one delivery holds out of order in timestamp order', async () => {
    const base = Date.now() - 10_000;
    const psids = Array.from({ length: 5 }, (_, i) => `hand-order-${i}`);
    for (const psid of psids)
      await t.deliver(
        delivery(
          t.pageId,
          [3, 2, 1].map((n) =>
            textMessage({ pageId: t.pageId, psid, text: `m${n}`, timestamp: base + n * 1000 }),
          ),
        ),
      );
    await t.settle();
    for (const psid of psids) {
      const { rows } = await t.db.query<{ text: string }>(
        `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id
           JOIN contacts k ON k.id = c.contact_id
          WHERE k.external_id = $1 AND m.direction = 'in' ORDER BY m.id`,
        [psid],
      );
      expect(rows.map((row) => row.text)).toEqual(['m1', 'm2', 'm3']);
    }
  });

  it('stores alone an item whose batch failed, queues it when its handling fails in hand, and the job answers it once it can', async () => {
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    const tried = jest.spyOn(t.app.get(MessengerInboundService), 'processInHand');
    // A real refusal inside Postgres, lifted once the item is queued.
    await changeSchema(
      t.db,
      `
      CREATE FUNCTION refuse_in_hand() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'entry refused for the test'; END $$;
      CREATE TRIGGER refuse_in_hand BEFORE INSERT ON referral_entries
        FOR EACH ROW WHEN (NEW.raw_ref = 'refused') EXECUTE FUNCTION refuse_in_hand();`,
    );
    try {
      await start(['hand-refused'], 'refused');
      const id = await inboxIdOf('hand-refused');
      await waitFor(() => queuedIds(addBulk).includes(id), { what: 'the item to be queued' });
      // Tried with its storing first: nothing of that batch was kept, the webhook stored it alone.
      expect(together).toHaveBeenCalledTimes(1);
      await expect(together.mock.results[0].value).rejects.toThrow('entry refused for the test');
      expect(together.mock.calls[0][0][0].id).not.toBe(id);
      // Then tried in hand, and queued because that failed (not by the webhook).
      expect(tried.mock.calls.map(([row]) => row.id)).toEqual([id]);
      await expect(tried.mock.results[0].value).rejects.toThrow('entry refused for the test');
      expect(
        await t.count(
          `SELECT count(*) AS n FROM messenger_inbox WHERE id = $1 AND status = 'pending'`,
          [id],
        ),
      ).toBe(1);
    } finally {
      together.mockRestore();
      tried.mockRestore();
      await changeSchema(
        t.db,
        `DROP TRIGGER refuse_in_hand ON referral_entries; DROP FUNCTION refuse_in_hand()`,
      );
    }
    const [sent] = await t.graph.waitForSends(1, 15_000);
    expect(sent.recipient).toEqual({ id: 'hand-refused' });
    await t.quiesce();
    expect(t.graph.sends).toHaveLength(1);
  });

  it('records the sends of one batch in a later batch’s transaction while deliveries keep coming', async () => {
    const carry = jest.spyOn(t.app.get(SentMarks), 'take');
    const carried = (): number =>
      carry.mock.results.reduce(
        (sum, result) => sum + (result.value as ReturnType<SentMarks['take']>).settle.count,
        0,
      );
    const psids: string[] = [];
    try {
      // Deliveries arrive in groups while earlier ones are answered: until one batch carries
      // another's records (a handful of groups on any machine; 40 bound the wait).
      for (let group = 0; group < 40 && carried() === 0; group++) {
        const next = Array.from({ length: 5 }, (_, i) => `hand-carry-${group}-${i}`);
        psids.push(...next);
        await Promise.all(next.map((psid) => start([psid])));
      }
      expect(carried()).toBeGreaterThan(0);
      await t.graph.waitForSends(psids.length, 15_000);
      await t.quiesce();
    } finally {
      carry.mockRestore();
    }
    // Carried or not, every answer is sent once and recorded as sent.
    expect(t.graph.sends).toHaveLength(psids.length);
    const { rows } = await t.db.query<{ status: string; n: number }>(
      `SELECT r.status, count(*)::int AS n FROM replies r
         JOIN conversations c ON c.id = r.conversation_id JOIN contacts k ON k.id = c.contact_id
        WHERE k.external_id LIKE 'hand-carry-%' GROUP BY r.status`,
    );
    expect(rows).toEqual([{ status: 'sent', n: psids.length }]);
  });

  it('keeps the record of a send that ends between two batches for the next batch’s transaction', async () => {
    const marks = t.app.get(SentMarks);
    const record = jest.spyOn(marks, 'record');
    const carry = jest.spyOn(marks, 'take');
    const replyOf = async (psid: string): Promise<string[]> => {
      const { rows } = await t.db.query<{ status: string }>(
        `SELECT r.status FROM replies r JOIN conversations c ON c.id = r.conversation_id
           JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1`,
        [psid],
      );
      return rows.map((row) => row.status);
    };
    try {
      // Only a batch can take the first record: no timer writes it on its own meanwhile.
      marks.carryWaitMs = 60_000;
      await start(['hand-between-1']);
      await waitFor(() => record.mock.calls.length === 1, { what: 'the send to be recorded' });
      // Its batch ended before the send, and none runs now: the record waits for the next.
      expect(await replyOf('hand-between-1')).toEqual(['pending']);
      marks.carryWaitMs = 50;
      await start(['hand-between-2']);
      await waitFor(async () => (await replyOf('hand-between-1'))[0] === 'sent', {
        what: 'the first record to be carried',
      });
      const carried = carry.mock.results.map(
        (result) => (result.value as ReturnType<SentMarks['take']>).settle.count,
      );
      expect(carried).toContain(1);
      await t.graph.waitForSends(2);
      await t.quiesce();
      expect(await replyOf('hand-between-2')).toEqual(['sent']);
    } finally {
      marks.carryWaitMs = 50;
      record.mockRestore();
      carry.mockRestore();
    }
  });

  /**
   * Answers a Get Started of a new person `psid` while `step` of the inbox repository waits (2 s at
   * most) for Meta to be asked for the person's profile; per call of `step`, whether it was asked.
   */
  async function askedBefore(
    step: 'insertWithIds' | 'lockPendingUpTo',
    psid: string,
  ): Promise<boolean[]> {
    const inbox = t.app.get(InboxRepository);
    const original = (inbox[step] as (...args: unknown[]) => Promise<unknown>).bind(inbox);
    const asked: boolean[] = [];
    const held = jest.spyOn(inbox, step).mockImplementation((async (...args: unknown[]) => {
      const seen = () => t.graph.profileRequests.some((request) => request.psid === psid);
      asked.push(
        await waitFor(seen, { timeoutMs: 2000, intervalMs: 5 }).then(
          () => true,
          () => false,
        ),
      );
      return original(...args);
    }) as never);
    try {
      await start([psid]);
      await t.graph.waitForSends(1);
    } finally {
      held.mockRestore();
    }
    expect(t.graph.profileRequests.map((request) => request.psid)).toEqual([psid]);
    return asked;
  }

  it('has a new person’s profile on its way before the batch takes the contact’s lock', async () => {
    expect(await askedBefore('lockPendingUpTo', 'hand-early')).toEqual([true]);
  });

  it('starts a new person’s profile look-up before the item is stored', async () => {
    expect(await askedBefore('insertWithIds', 'hand-first')).toEqual([true]);
  });

  it('looks a returning person up once, and keeps the names of one looked up by another process', async () => {
    await start(['hand-back']);
    await t.graph.waitForSends(1);
    await t.settle();
    await start(['hand-back']);
    await t.graph.waitForSends(2);
    expect(t.graph.profileRequests.map((request) => request.psid)).toEqual(['hand-back']);

    // Looked up by another process (or before a restart): this one does not know, asks Meta,
    // and leaves the names Postgres has.
    await t.db.query(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_name,
                             profile_fetched_at, first_seen_at, last_seen_at)
       VALUES ($1, 'messenger', 'hand-elsewhere', 'psid', 'Kept', now(), now(), now())`,
      [t.botId],
    );
    t.graph.setProfile('hand-elsewhere', { first_name: 'Changed' });
    await start(['hand-elsewhere']);
    await t.graph.waitForSends(3);
    await t.settle();
    const { rows } = await t.db.query(
      `SELECT first_name FROM contacts WHERE external_id = 'hand-elsewhere'`,
    );
    expect(rows).toEqual([{ first_name: 'Kept' }]);
  });

  it(`queues what does not fit past ${IN_HAND_MAX} items in hand, and answers every item once`, async () => {
    const inHand = t.app.get(InboundInHand);
    const service = t.app.get(MessengerInboundService);
    const tried = jest.spyOn(service, 'processInHand');
    const storedInBatch = jest.spyOn(service, 'storeAndProcess');
    // Slow sends keep the items in hand until answered.
    t.graph.setLatency(3000);
    const psids = Array.from({ length: IN_HAND_MAX + 20 }, (_, i) => `hand-many-${i}`);
    let most = 0;
    try {
      for (let i = 0; i < psids.length; i += 40) await start(psids.slice(i, i + 40));
      await waitFor(
        () => {
          most = Math.max(most, inHand.inFlight);
          return queuedIds(addBulk).length > 0;
        },
        { what: 'the overflow to be queued' },
      );
    } finally {
      t.graph.setLatency(0);
    }
    const sends = await t.graph.waitForSends(psids.length, 30_000);
    await t.quiesce(30_000);
    expect(new Set(sends.map((send) => send.recipient?.id)).size).toBe(psids.length);
    expect(t.graph.sends).toHaveLength(psids.length);
    // The hand was full before an item was queued, and never held more than its bound. (Items
    // waiting over 3 s for a batch are queued by the sweeper too: harmless, each is answered once.)
    const inHandIds = new Set([
      ...tried.mock.calls.map(([row]) => row.id),
      ...storedInBatch.mock.calls.flatMap(([rows]) => rows.map((row) => row.id)),
    ]);
    tried.mockRestore();
    storedInBatch.mockRestore();
    expect(inHandIds.size).toBeGreaterThanOrEqual(IN_HAND_MAX);
    expect(inHandIds.size).toBeLessThan(psids.length);
    expect(most).toBeLessThanOrEqual(IN_HAND_MAX);
  });
});

describe('Webhook items with MESSENGER_INBOUND_IN_PROCESS=false', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'all', MESSENGER_INBOUND_IN_PROCESS: 'false' });
    await createReferral(t.admin, t.botId, { trackingParam: 'queued', content: text('Queued') });
  });
  afterAll(() => t.close());

  it('queues every item for the inbound job', async () => {
    const addBulk = jest.spyOn(
      t.app.get<Queue>(getQueueToken(QueueName.MessengerInbound)),
      'addBulk',
    );
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'queued-1', ref: 'queued' }),
      ]),
    );
    await t.graph.waitForSends(1);
    const { rows } = await t.db.query<{ id: string }>(
      `SELECT id FROM messenger_inbox WHERE sender_key = 'psid:queued-1'`,
    );
    expect(queuedIds(addBulk)).toEqual([rows[0].id]);
    expect(t.app.get(InboundInHand).inFlight).toBe(0);
  });
});
