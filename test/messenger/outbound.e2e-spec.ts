import { getQueueToken } from '@nestjs/bull';
import { type Queue } from 'bull';
import { OutboundService } from '../../src/conversations/outbound.service';
import { QueueName } from '../../src/queues';
import { createReferral } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

const THREE = {
  messages: [
    { type: 'text', text: 'one' },
    { type: 'text', text: 'two' },
    { type: 'text', text: 'three' },
  ],
};

describe('Sending replies through the Send API', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp({ MESSENGER_SEND_RATE_PER_SECOND: '5' });
    await createReferral(t.admin, t.botId, { trackingParam: 'three', content: THREE });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'one',
      content: { messages: [{ type: 'text', text: 'single' }] },
    });
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());

  interface OutRow {
    text: string;
    status: string;
    attempts: number;
    error_code: number | null;
    error_subcode: number | null;
    external_id: string | null;
  }

  async function outbound(psid: string): Promise<OutRow[]> {
    const rows = await t.db.query(
      `SELECT m.text, m.status, m.attempts, m.error_code, m.error_subcode, m.external_id
         FROM messages m JOIN conversations c ON c.id = m.conversation_id JOIN contacts k ON k.id = c.contact_id
        WHERE k.external_id = $1 AND m.direction = 'out' ORDER BY m.position`,
      [psid],
    );
    return rows.rows;
  }

  const start = (psid: string, ref: string, timestamp?: number): Promise<unknown> =>
    t.deliver(delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref, timestamp })]));

  it('sends the messages of a reply in order, each once', async () => {
    await start('in-order', 'three');
    const sends = await t.graph.waitForSends(3);
    expect(sends.map((s) => s.message.text)).toEqual(['one', 'two', 'three']);
    await t.settle();
    expect((await outbound('in-order')).map((m) => [m.text, m.status, m.attempts])).toEqual([
      ['one', 'sent', 1],
      ['two', 'sent', 1],
      ['three', 'sent', 1],
    ]);
    expect((await outbound('in-order')).every((m) => m.external_id?.startsWith('m_'))).toBe(true);
  });

  it('retries a transient failure with backoff, never resending what was already sent', async () => {
    // The first message goes out; the second fails twice (HTTP 500, then a dropped connection).
    t.graph.failNext(0, { networkError: true });
    await start('transient', 'three');
    await t.graph.waitForSends(1);
    t.graph.failNext(1, {
      status: 500,
      error: { message: 'An unexpected error has occurred.', code: 2 },
    });
    t.graph.failNext(1, { networkError: true });
    const sends = await t.graph.waitForSends(3, 20_000);
    expect(sends.map((s) => s.message.text)).toEqual(['one', 'two', 'three']);
    expect(t.graph.failedSends.map((s) => s.message.text)).toEqual(['two', 'two']);
    await t.settle();
    expect((await outbound('transient')).map((m) => [m.text, m.status, m.attempts])).toEqual([
      ['one', 'sent', 1],
      ['two', 'sent', 3],
      ['three', 'sent', 1],
    ]);
  });

  it("does not retry a permanent failure: the message is failed with Meta's code, the rest skipped", async () => {
    t.graph.failNext(1, {
      status: 400,
      error: {
        message: "This person isn't available right now.",
        code: 551,
        error_subcode: 1545041,
      },
    });
    await start('blocked-user', 'three');
    await waitFor(async () => (await outbound('blocked-user'))[0]?.status === 'failed', {
      what: 'the failure to be recorded',
    });
    // No retry is left queued for a permanent failure.
    await t.quiesce();
    expect(t.graph.sends).toHaveLength(0);
    expect(t.graph.failedSends).toHaveLength(1);
    expect(await outbound('blocked-user')).toEqual([
      expect.objectContaining({
        text: 'one',
        status: 'failed',
        attempts: 1,
        error_code: 551,
        error_subcode: 1545041,
      }),
      expect.objectContaining({ text: 'two', status: 'skipped' }),
      expect.objectContaining({ text: 'three', status: 'skipped' }),
    ]);
    const reply = await t.db.query(
      `SELECT r.status FROM replies r JOIN conversations c ON c.id = r.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'blocked-user'`,
    );
    expect(reply.rows).toEqual([{ status: 'failed' }]);
  });

  it('marks the message failed when the last attempt fails too', async () => {
    t.graph.failNext(1, {
      status: 503,
      error: { message: 'Service temporarily unavailable', code: 2 },
    });
    t.graph.failNext(1, {
      status: 503,
      error: { message: 'Service temporarily unavailable', code: 2 },
    });
    await start('exhausted', 'one');
    await waitFor(async () => (await outbound('exhausted'))[0]?.attempts === 1, {
      what: 'a first failed attempt',
    });
    const reply = await t.db.query(
      `SELECT r.id FROM replies r JOIN conversations c ON c.id = r.conversation_id JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'exhausted'`,
    );
    // Run the final attempt directly, as Bull would once the attempts run out (its own retry removed).
    const job = await t.app.get<Queue>(getQueueToken(QueueName.Outbound)).getJob(reply.rows[0].id);
    await job?.remove();
    await t.app.get(OutboundService).send(reply.rows[0].id, true);
    expect(await outbound('exhausted')).toEqual([
      expect.objectContaining({ status: 'failed', error_code: 2, attempts: 2 }),
    ]);
  });

  it('sends nothing outside the 24-hour window', async () => {
    await start('stale', 'one', Date.now() - 25 * 3600 * 1000);
    await t.quiesce();
    expect(t.graph.sendsTo('stale')).toHaveLength(0);
    expect(await outbound('stale')).toEqual([
      expect.objectContaining({ status: 'skipped', attempts: 0 }),
    ]);
  });

  it('keeps within the per-page send rate shared by all workers', async () => {
    // MESSENGER_SEND_RATE_PER_SECOND=5 here: slots are booked 200 ms apart in Redis, so 12 sends
    // span 2.2 s of slots; the bound leaves room for a loaded machine delaying the first send.
    await Promise.all(Array.from({ length: 12 }, (_, i) => start(`rate-${i}`, 'one')));
    const sends = await t.graph.waitForSends(12, 20_000);
    const span = sends[11].at - sends[0].at;
    expect(span).toBeGreaterThanOrEqual(950);
    expect(span).toBeLessThan(6000);
  });
});
