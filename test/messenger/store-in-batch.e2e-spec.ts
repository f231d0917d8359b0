import { InboxIds, InboxRepository } from '../../src/messenger/inbox.repository';
import { MessengerInboundService } from '../../src/messenger/inbound/inbound.service';
import { FLOOD_RATE, IntakeRate } from '../../src/messenger/intake/intake-rate';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

/**
 * While no inbound batch runs, the webhook's items are stored by the batch that answers them, in
 * its transaction (issue 15: one round trip and one commit fewer per delivery); Meta gets its 200
 * once they and their effects are committed. Otherwise they are stored first, as before.
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

  it('stores a redelivery of such an item once and answers the person once', async () => {
    const envelope = getStarted('together-again');
    expect((await t.deliver(envelope)).status).toBe(200);
    expect((await t.deliver(envelope)).status).toBe(200);
    await t.quiesce();
    expect(await rowsOf('together-again')).toEqual([
      { status: 'processed', note: null, together: true },
    ]);
    expect(t.graph.sendsTo('together-again')).toHaveLength(1);
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
      { status: 'ignored', note: 'NO_SENDER', together: null },
    ]);
  });

  it('stores items that arrive while a batch runs with the next batch, Meta waiting for it', async () => {
    const inbox = t.app.get(InboxRepository);
    const together = jest.spyOn(t.app.get(MessengerInboundService), 'storeAndProcess');
    const insertMany = jest.spyOn(inbox, 'insertMany');
    const lock = inbox.lockPendingUpTo.bind(inbox);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const holding = jest.spyOn(inbox, 'lockPendingUpTo').mockImplementation(async (...args) => {
      if (held++ === 0) await gate;
      return lock(...args);
    });
    try {
      const first = t.deliver(getStarted('together-held'));
      await waitFor(() => held === 1, { what: 'the first batch to start' });
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
      expect(held).toBe(2);
      expect(insertMany).not.toHaveBeenCalled();
    } finally {
      release();
      holding.mockRestore();
      insertMany.mockRestore();
      together.mockRestore();
    }
    for (const psid of ['together-held', 'together-next'])
      expect(await rowsOf(psid)).toEqual([{ status: 'processed', note: null, together: true }]);
    await t.quiesce();
    expect(t.graph.sendsTo('together-held')).toHaveLength(1);
    expect(t.graph.sendsTo('together-next')).toHaveLength(1);
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
