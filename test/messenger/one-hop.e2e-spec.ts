import { getQueueToken } from '@nestjs/bull';
import { type Job, type Queue } from 'bull';
import { DataSource } from 'typeorm';
import { SendClaims } from '../../src/conversations/send-claims';
import { StoreReplies } from '../../src/conversations/store-replies';
import { JOB_DEFAULTS, QueueName } from '../../src/queues';
import { createReferral } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

/**
 * A referral's answer leaves from the inbound job that wrote it, with no second queue hop; the
 * outbound queue only takes the replies that could not be sent at once (issue 15). The default;
 * with MESSENGER_SEND_INLINE=false every reply goes through the outbound queue (the last test).
 */
describe('Answering in one queue hop', () => {
  let t: MessengerTestApp;
  let outbound: Queue;

  beforeAll(async () => {
    t = await startMessengerApp({ MESSENGER_SEND_INLINE: 'true' });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'hop',
      content: {
        messages: [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ],
      },
    });
    outbound = t.app.get<Queue>(getQueueToken(QueueName.Outbound));
  });
  afterAll(() => t.close());
  beforeEach(() => t.graph.reset());
  afterEach(() => outbound.resume());

  const start = (psid: string): Promise<unknown> =>
    t.deliver(delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: 'hop' })]));

  const replyOf = async (psid: string): Promise<{ id: string; status: string }> =>
    (
      await t.db.query(
        `SELECT r.id, r.status FROM replies r JOIN conversations c ON c.id = r.conversation_id
           JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1`,
        [psid],
      )
    ).rows[0];

  it('sends the answer from the inbound job while the outbound queue takes nothing', async () => {
    // Paused for every worker: a reply that needed an outbound job would wait here forever.
    await outbound.pause();
    await start('one-hop');
    const sends = await t.graph.waitForSends(2);
    expect(sends.map((s) => s.message.text)).toEqual(['first', 'second']);
    await t.settle();
    const reply = await replyOf('one-hop');
    expect(reply.status).toBe('sent');
    expect(await outbound.getJob(reply.id)).toBeNull();
  });

  it('hands a reply that failed for now to the outbound queue, with the attempts left', async () => {
    await outbound.pause();
    t.graph.failNext(1, { status: 500, error: { message: 'Try again', code: 2 } });
    await start('handed-on');
    let job: Awaited<ReturnType<Queue['getJob']>> = null;
    await waitFor(
      async () => {
        const reply = await replyOf('handed-on');
        job = reply ? await outbound.getJob(reply.id) : null;
        return job !== null;
      },
      { what: 'the outbound job of the failed reply' },
    );
    expect(job!.opts.attempts).toBe(JOB_DEFAULTS[QueueName.Outbound].attempts! - 1);
    expect(t.graph.sends).toHaveLength(0);
    // The second message, stored claimed for the send that stopped at the first, was given back:
    // pending for whichever process runs the retry (another would find this one's live claim).
    const waiting = await t.db.query(
      `SELECT status, sending_by FROM messages WHERE reply_id = $1 ORDER BY position`,
      [(await replyOf('handed-on')).id],
    );
    expect(waiting.rows).toEqual([
      { status: 'pending', sending_by: null },
      { status: 'pending', sending_by: null },
    ]);
    await outbound.resume();
    const sends = await t.graph.waitForSends(2, 10_000);
    expect(sends.map((s) => s.message.text)).toEqual(['first', 'second']);
    await t.settle();
    const attempts = await t.db.query(
      `SELECT m.attempts FROM messages m JOIN replies r ON r.id = m.reply_id WHERE r.id = $1 ORDER BY m.position`,
      [(await replyOf('handed-on')).id],
    );
    expect(attempts.rows.map((row) => row.attempts)).toEqual([2, 1]);
  });

  it('keeps every attempt for a reply whose one-hop send was slow (the chaos loss of #15)', async () => {
    // The one-hop send holds its message's claim while the Graph API stalls; meanwhile the reply
    // sweeper queues the reply (pending, older than 3 s, no job) and each run of that job finds
    // the claim busy. Those runs must not spend the attempts the reply needs once the held send
    // fails: 5 transient failures, then a send that goes through (a queued reply gets 8 tries).
    t.graph.failNext(5, { status: 500, error: { message: 'Try again', code: 2 } });
    const release = t.graph.hold();
    const runs: string[] = [];
    const ran = (job: Job): number => runs.push(String(job.id));
    outbound.on('completed', ran).on('failed', ran);
    try {
      await start('held');
      const reply = await waitFor(() => replyOf('held'), { what: 'the reply' });
      await waitFor(() => runs.filter((id) => id === reply.id).length >= 4, {
        timeoutMs: 40_000,
        what: 'four runs of the swept job while the one-hop send holds the claim',
      });
      expect(t.graph.failedSends).toHaveLength(1);
    } finally {
      release();
      outbound.off('completed', ran).off('failed', ran);
    }
    await t.settle(120_000);
    expect((await replyOf('held')).status).toBe('sent');
    expect(t.graph.sendsTo('held').map((s) => s.message.text)).toEqual(['first', 'second']);
    expect(t.graph.failedSends).toHaveLength(5);
  }, 200_000);

  it('stores a reply sent in hand already claimed by this process, and gives back what it did not send', async () => {
    const { rows } = await t.db.query<{ id: string; botId: string }>(
      `SELECT c.id, c.bot_id AS "botId" FROM conversations c JOIN contacts k ON k.id = c.contact_id
        WHERE k.external_id = 'one-hop'`,
    );
    const conversation = { id: rows[0].id, botId: rows[0].botId, channel: 'messenger' as const };
    const message = { kind: 'text', text: 'stored', payload: { text: 'stored' } };
    const [inHand, queued] = await t.app.get(DataSource).transaction(async (tx) =>
      Promise.all(
        (
          await t.app.get(StoreReplies).store(tx, [
            { conversation, messages: [message], occurredAt: new Date(), sendHere: true },
            { conversation, messages: [message], occurredAt: new Date() },
          ])
        ).map(async (reply) => ({ ...reply, messageIds: await reply.messageIds })),
      ),
    );
    const state = async (id: string) =>
      (await t.db.query(`SELECT status, sending_by FROM messages WHERE id = $1`, [id])).rows[0];
    const claims = t.app.get(SendClaims);
    expect(await state(inHand.messageIds[0])).toEqual({
      status: 'sending',
      sending_by: claims.token,
    });
    expect(await state(queued.messageIds[0])).toEqual({ status: 'pending', sending_by: null });
    // Its send takes the claim with no statement; another run in this process finds it held.
    expect(await claims.claim(inHand.messageIds[0])).toEqual({ kind: 'claimed' });
    expect(await claims.claim(inHand.messageIds[0])).toEqual({ kind: 'busy' });
    claims.release(inHand.messageIds[0]);
    // Not reached by its send: given back, pending again.
    const [unsent] = await t.app
      .get(DataSource)
      .transaction((tx) =>
        t.app
          .get(StoreReplies)
          .store(tx, [
            { conversation, messages: [message], occurredAt: new Date(), sendHere: true },
          ]),
      );
    const unsentIds = await unsent.messageIds;
    await claims.unclaim(unsentIds);
    expect(await state(unsentIds[0])).toEqual({ status: 'pending', sending_by: null });
    await t.db.query(`DELETE FROM messages WHERE reply_id = ANY($1::uuid[])`, [
      [inHand.replyId, queued.replyId, unsent.replyId],
    ]);
    await t.db.query(`DELETE FROM replies WHERE id = ANY($1::uuid[])`, [
      [inHand.replyId, queued.replyId, unsent.replyId],
    ]);
  });
});

describe('Answering through the outbound queue (MESSENGER_SEND_INLINE=false)', () => {
  let t: MessengerTestApp;
  let outbound: Queue;

  beforeAll(async () => {
    t = await startMessengerApp({ MESSENGER_SEND_INLINE: 'false' });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'hop',
      content: { messages: [{ type: 'text', text: 'queued' }] },
    });
    outbound = t.app.get<Queue>(getQueueToken(QueueName.Outbound));
  });
  afterAll(() => t.close());

  it('queues the answer on outbound: nothing is sent until that queue runs', async () => {
    await outbound.pause();
    await t.deliver(
      delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid: 'queued', ref: 'hop' })]),
    );
    const job = await waitFor(
      async () => {
        const { rows } = await t.db.query<{ id: string }>(
          `SELECT r.id FROM replies r JOIN conversations c ON c.id = r.conversation_id
             JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'queued'`,
        );
        return rows[0] ? outbound.getJob(rows[0].id) : null;
      },
      { what: 'the outbound job of the answer' },
    );
    expect(job.opts.attempts).toBe(JOB_DEFAULTS[QueueName.Outbound].attempts);
    expect(t.graph.sends).toHaveLength(0);
    await outbound.resume();
    const sends = await t.graph.waitForSends(1, 10_000);
    expect(sends.map((s) => s.message.text)).toEqual(['queued']);
  });
});
