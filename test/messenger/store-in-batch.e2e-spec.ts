import { InboxIds, InboxRepository } from '../../src/messenger/inbox.repository';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import { FLOOD_RATE, IntakeRate } from '../../src/messenger/intake/intake-rate';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';
import { changeSchema } from '../support/schema-change';

/**
 * The webhook's items are stored by the inbound batch that answers them, in its transaction (issue
 * 15: one round trip and one commit fewer per delivery); Meta gets its 200 once they and their
 * effects are committed. While the intake is flooded or Meta answers look-ups slowly, they are
 * stored first, as before.
 */
describe('Webhook items stored by the batch that answers them', () => {
  let t: MessengerTestApp;

  const getStarted = (psid: string) =>
    delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: 'together' })]);
  /** The person's inbox rows; `together`: stored and handled in one transaction. */
  const rowsOf = async (psid: string) =>
    (
      await t.db.query<{ status: string; note: string | null; together: boolean }>(
        `SELECT status, note, received_at = processed_at AS together
           FROM messenger_inbox WHERE sender_key = $1 ORDER BY id`,
        [`psid:${psid}`],
      )
    ).rows;

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'all' });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'together',
      content: text('Together'),
    });
    await createReferral(t.admin, t.botId, { trackingParam: 'refused', content: text('Later') });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  it('answers Meta once the item and its effects are committed, in one transaction', async () => {
    const insertMany = jest.spyOn(t.app.get(InboxRepository), 'insertMany');
    try {
      expect((await t.deliver(getStarted('together-1'))).status).toBe(200);
      // Handled when the 200 left, and in the transaction that stored it.
      expect(await rowsOf('together-1')).toEqual([
        { status: 'processed', note: null, together: true },
      ]);
      expect(
        await t.count(
          `SELECT count(*) AS n FROM referral_entries e JOIN contacts c ON c.id = e.contact_id
            WHERE c.external_id = 'together-1'`,
        ),
      ).toBe(1);
      expect(insertMany).not.toHaveBeenCalled();
    } finally {
      insertMany.mockRestore();
    }
    const [sent] = await t.graph.waitForSends(1);
    expect(sent.recipient).toEqual({ id: 'together-1' });
  });

  it('stores a redelivery of such an item, or the item twice in one delivery, once and answers once', async () => {
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    try {
      const envelope = getStarted('together-again');
      expect((await t.deliver(envelope)).status).toBe(200);
      expect((await t.deliver(envelope)).status).toBe(200);
      const item = getStartedWithRef({ pageId: t.pageId, psid: 'together-twice', ref: 'together' });
      expect((await t.deliver(delivery(t.pageId, [item, item]))).status).toBe(200);
      // Each went through a batch, which found the copies stored already.
      const stored = await Promise.all(
        together.mock.results.map(async (result) => {
          const done = (await result.value) as { stored: boolean[] };
          return done.stored;
        }),
      );
      expect(stored).toEqual([[true], [false], [true, false]]);
    } finally {
      together.mockRestore();
    }
    await t.quiesce();
    for (const psid of ['together-again', 'together-twice']) {
      expect(await rowsOf(psid)).toEqual([{ status: 'processed', note: null, together: true }]);
      expect(t.graph.sendsTo(psid)).toHaveLength(1);
    }
  });

  it('stores an arriving item the batch does not handle, as ignored with the reason', async () => {
    // The webhook hands on only items with a sender; one the batch still finds none in (its
    // normalising and the webhook's triage disagreeing) must be stored all the same.
    const [id] = await t.app.get(InboxIds).take(1);
    const item = { recipient: { id: t.pageId }, timestamp: Date.now(), message: { text: 'hi' } };
    const row = {
      pageId: t.pageId,
      botId: t.botId,
      senderKey: 'psid:together-odd',
      standby: false,
      occurredAt: new Date(),
      status: 'pending' as const,
    };
    const arriving = { ...row, dedupeKey: `test:${id}`, kind: 'message' as const, note: null };
    const { stored, sent } = await t.app
      .get(MessengerInboundService)
      .storeAndProcess([
        { ...row, id, payload: item, arriving: { ...arriving, json: JSON.stringify(item) } },
      ]);
    await sent;
    expect(stored).toEqual([true]);
    expect(await rowsOf('together-odd')).toEqual([
      { status: 'ignored', note: 'NO_SENDER', together: true },
    ]);
  });

  /** Holds the next batch at its lock statement until `release()`; `batches()`: how many came. */
  function holdNextBatch() {
    const inbox = t.app.get(InboxRepository);
    const lock = inbox.lockPendingUpTo.bind(inbox);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let batches = 0;
    const holding = jest.spyOn(inbox, 'lockPendingUpTo').mockImplementation(async (...args) => {
      if (batches++ === 0) await gate;
      return lock(...args);
    });
    return {
      release: () => release(),
      batches: () => batches,
      restore: () => {
        release();
        holding.mockRestore();
      },
    };
  }

  it('stores items that arrive while a batch runs with the next batch, Meta waiting for it', async () => {
    const inbox = t.app.get(InboxRepository);
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    const insertMany = jest.spyOn(inbox, 'insertMany');
    const hold = holdNextBatch();
    const held = hold.batches;
    const release = hold.release;
    try {
      const first = t.deliver(getStarted('together-held'));
      await waitFor(() => held() === 1, { what: 'the first batch to start' });
      let answered = false;
      const second = t.deliver(getStarted('together-next')).finally(() => (answered = true));
      await waitFor(() => together.mock.calls.length === 2, { what: 'the second delivery' });
      // Neither is stored while the first batch is held, and Meta has no answer yet.
      expect(await rowsOf('together-held')).toEqual([]);
      expect(await rowsOf('together-next')).toEqual([]);
      expect(answered).toBe(false);
      release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(held()).toBe(2);
      expect(insertMany).not.toHaveBeenCalled();
    } finally {
      hold.restore();
      insertMany.mockRestore();
      together.mockRestore();
    }
    for (const psid of ['together-held', 'together-next'])
      expect(await rowsOf(psid)).toEqual([{ status: 'processed', note: null, together: true }]);
    await t.quiesce();
    expect(t.graph.sendsTo('together-held')).toHaveLength(1);
    expect(t.graph.sendsTo('together-next')).toHaveLength(1);
  });

  it('stores items first once a batch’s worth waits, and after half a second without a batch', async () => {
    const insertMany = jest.spyOn(t.app.get(InboxRepository), 'insertMany');
    const hold = holdNextBatch();
    const many = Array.from({ length: 49 }, (_, i) => `together-many-${i}`);
    try {
      const first = t.deliver(getStarted('together-stuck'));
      await waitFor(() => hold.batches() === 1, { what: 'the first batch to start' });
      // 49 wait for the next batch; a delivery of two more would make it more than a batch's worth.
      const waiting = t.deliver(
        delivery(
          t.pageId,
          many.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'together' })),
        ),
      );
      const inbound = t.app.get(MessengerInboundService);
      await waitFor(() => inbound.waitingItems === many.length, { what: 'the 49 to wait' });
      const two = ['together-over-1', 'together-over-2'];
      const over = await t.deliver(
        delivery(
          t.pageId,
          two.map((psid) => getStartedWithRef({ pageId: t.pageId, psid, ref: 'together' })),
        ),
      );
      expect(over.status).toBe(200);
      expect(insertMany.mock.calls.flatMap(([rows]) => rows.map((row) => row.senderKey))).toEqual(
        two.map((psid) => `psid:${psid}`),
      );
      // No batch took the 49 within half a second: stored first after all, Meta answered.
      expect((await waiting).status).toBe(200);
      expect(insertMany.mock.calls.flatMap(([rows]) => rows)).toHaveLength(
        two.length + many.length,
      );
      expect(hold.batches()).toBe(1);
      hold.release();
      expect((await first).status).toBe(200);
    } finally {
      hold.restore();
      insertMany.mockRestore();
    }
    await t.quiesce();
    for (const psid of ['together-stuck', ...many, 'together-over-1', 'together-over-2'])
      expect(t.graph.sendsTo(psid)).toHaveLength(1);
  });

  it('never retries alone the deliveries of a failed batch: each is stored first and answered once', async () => {
    const inbox = t.app.get(InboxRepository);
    const stores = jest.spyOn(inbox, 'insertWithIds');
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    const batchesWith = (psid: string): number =>
      stores.mock.calls.filter(([rows]) => rows.some((row) => row.senderKey === `psid:${psid}`))
        .length;
    // A real refusal inside Postgres, for one of the two deliveries sharing a batch.
    await changeSchema(
      t.db,
      `
      CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'entry refused for the test'; END $$;
      CREATE TRIGGER refuse_once BEFORE INSERT ON referral_entries
        FOR EACH ROW WHEN (NEW.raw_ref = 'refused') EXECUTE FUNCTION refuse_once();`,
    );
    const hold = holdNextBatch();
    try {
      const first = t.deliver(getStarted('together-once-held'));
      await waitFor(() => hold.batches() === 1, { what: 'the first batch to start' });
      const good = t.deliver(getStarted('together-once-good'));
      const refused = t.deliver(
        delivery(t.pageId, [
          getStartedWithRef({ pageId: t.pageId, psid: 'together-once-refused', ref: 'refused' }),
        ]),
      );
      await waitFor(() => together.mock.calls.length === 3, { what: 'both to wait for a batch' });
      hold.release();
      for (const answer of [first, good, refused]) expect((await answer).status).toBe(200);
      // Both went in the batch that failed, and neither in a batch of its own after it.
      expect([batchesWith('together-once-good'), batchesWith('together-once-refused')]).toEqual([
        1, 1,
      ]);
    } finally {
      hold.restore();
      stores.mockRestore();
      together.mockRestore();
      await changeSchema(
        t.db,
        `DROP TRIGGER refuse_once ON referral_entries; DROP FUNCTION refuse_once()`,
      );
    }
    await waitFor(() => t.graph.sendsTo('together-once-refused').length === 1, {
      what: 'the refused one answered once its job is retried',
      timeoutMs: 20_000,
    });
    await t.quiesce();
    expect(t.graph.sendsTo('together-once-good')).toHaveLength(1);
    expect(t.graph.sendsTo('together-once-refused')).toHaveLength(1);
    // Stored by the webhook alone, then handled in a transaction of its own.
    expect(await rowsOf('together-once-good')).toEqual([
      { status: 'processed', note: null, together: false },
    ]);
  });

  it('runs a batch holding arriving items at once, though the intake floods meanwhile: it is their answer to Meta', async () => {
    const rate = t.app.get(IntakeRate);
    const yielded = jest.spyOn(rate, 'yieldWhileFlooded');
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    const hold = holdNextBatch();
    try {
      const first = t.deliver(getStarted('together-flood-held'));
      await waitFor(() => hold.batches() === 1, { what: 'the first batch to start' });
      const second = t.deliver(getStarted('together-flood-next'));
      await waitFor(() => together.mock.calls.length === 2, { what: 'the second delivery' });
      // The flood comes after both were handed to their batches.
      rate.record(FLOOD_RATE);
      hold.release();
      expect((await first).status).toBe(200);
      expect((await second).status).toBe(200);
      expect(hold.batches()).toBe(2);
      expect(yielded).not.toHaveBeenCalled();
    } finally {
      hold.restore();
      yielded.mockRestore();
      together.mockRestore();
    }
    expect(await rowsOf('together-flood-next')).toEqual([
      { status: 'processed', note: null, together: true },
    ]);
    // Counted for a second: the next test starts unflooded.
    await waitFor(() => !rate.flooded, { what: 'the flood to pass' });
  });

  it('stores items first while the intake is flooded', async () => {
    const insertMany = jest.spyOn(t.app.get(InboxRepository), 'insertMany');
    try {
      const rate = t.app.get(IntakeRate);
      rate.record(FLOOD_RATE);
      expect((await t.deliver(getStarted('together-flood'))).status).toBe(200);
      expect(insertMany).toHaveBeenCalledTimes(1);
      // Counted for a second: the next test starts unflooded.
      await waitFor(() => !rate.flooded, { what: 'the flood to pass' });
    } finally {
      insertMany.mockRestore();
    }
    await t.quiesce();
    expect(await rowsOf('together-flood')).toEqual([
      { status: 'processed', note: null, together: false },
    ]);
    expect(t.graph.sendsTo('together-flood')).toHaveLength(1);
  });

  // Last: Meta's answers then count as slow for 30 s.
  it('stores items first once Meta answers a profile look-up slowly', async () => {
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    try {
      t.graph.setProfileLatency(600);
      expect((await t.deliver(getStarted('together-slow-1'))).status).toBe(200);
      expect((await t.deliver(getStarted('together-slow-2'))).status).toBe(200);
      // The first waited for its look-up (600 ms); the second was stored without waiting.
      expect(together).toHaveBeenCalledTimes(1);
      await t.quiesce();
      expect(await rowsOf('together-slow-2')).toEqual([
        { status: 'processed', note: null, together: false },
      ]);
      expect(t.graph.sends).toHaveLength(2);
    } finally {
      together.mockRestore();
    }
  });
});
