import { getQueueToken } from '@nestjs/bull';
import { type Job, type Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { QueueName } from '../../src/queues';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { waitFor } from '../support/wait-for';

/**
 * A message claimed for sending by a process whose claim session is alive is left alone, even
 * when a second run of its job comes along (Bull took the job back from a process that was in
 * fact alive): that run ends without spending an attempt, the holder's to finish. Once that
 * session ends (the process died), the reply sweeper queues the reply and the claim is taken over.
 */
describe('Send claims', () => {
  let t: MessengerTestApp;

  beforeAll(async () => {
    t = await startMessengerApp();
    await createReferral(t.admin, t.botId, { trackingParam: 'claimed', content: text('Once') });
  });
  afterAll(() => t.close());

  it('leaves a message claimed by a live process, and takes over once that process is gone', async () => {
    // The first send fails (transient): its retry waits a moment, long enough to plant a claim.
    t.graph.failNext(1, { status: 500, error: { message: 'Please retry', code: 2 } });
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'claimed', ref: 'claimed' }),
      ]),
    );
    await waitFor(() => t.graph.failedSends.length === 1, { intervalMs: 10, what: 'a failure' });

    // Another process's claim session, as SendClaims opens it.
    const token = randomUUID();
    const session = new Client({
      connectionString: t.config.databaseUrl,
      application_name: `bp-sender:${token}`,
    });
    await session.connect();
    try {
      const claimed = await t.db.query(
        `UPDATE messages SET status = 'sending', sending_by = $1
          WHERE direction = 'out' AND status = 'pending' RETURNING id`,
        [token],
      );
      expect(claimed.rowCount).toBe(1);
      // The retry (a backoff of up to 1 s) finds the live claim: its job ends, nothing sent,
      // and the swept jobs after it (every 2 s) do the same while the claim lives.
      const replyId = (await t.db.query(`SELECT id FROM replies`)).rows[0].id as string;
      const outbound = t.app.get<Queue>(getQueueToken(QueueName.Outbound));
      const ended: string[] = [];
      const onCompleted = (job: Job): number => ended.push(String(job.id));
      outbound.on('completed', onCompleted);
      try {
        await waitFor(() => ended.filter((id) => id === replyId).length >= 2, {
          timeoutMs: 20_000,
          what: 'two runs to find the live claim',
        });
      } finally {
        outbound.off('completed', onCompleted);
      }
      expect(t.graph.sendsTo('claimed')).toHaveLength(0);
      expect((await t.db.query(`SELECT status FROM replies`)).rows).toEqual([
        { status: 'pending' },
      ]);
    } finally {
      await session.end();
    }

    await t.graph.waitForSends(1, 30_000);
    await t.settle(30_000);
    expect(t.graph.sendsTo('claimed')).toHaveLength(1);
    expect(t.logs.text).toContain('was being sent by a run that died');
    const { rows } = await t.db.query(
      `SELECT status, sending_by FROM messages WHERE direction = 'out'`,
    );
    expect(rows).toEqual([{ status: 'sent', sending_by: null }]);
  }, 90_000);

  it('records, without sending again, a message that a dead run did deliver', async () => {
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'arrived', ref: 'claimed' }),
      ]),
    );
    await waitFor(() => t.graph.sendsTo('arrived').length === 1, { what: 'the first send' });
    await t.settle();
    const messageId = t.graph.sendsTo('arrived')[0].messageId;
    // As a run that died between Meta's answer and its record leaves it: claimed by a process
    // that is gone, claimed just before the send, the reply still pending.
    const planted = await t.db.query(
      `WITH m AS (
         UPDATE messages m SET status = 'sending', sending_by = $2,
                sending_at = m.sent_at - interval '1 second', external_id = NULL, sent_at = NULL
           FROM conversations c JOIN contacts k ON k.id = c.contact_id
          WHERE m.conversation_id = c.id AND k.external_id = $1 AND m.direction = 'out'
         RETURNING m.reply_id
       )
       UPDATE replies r SET status = 'pending', completed_at = NULL FROM m WHERE r.id = m.reply_id
       RETURNING r.id`,
      ['arrived', randomUUID()],
    );
    expect(planted.rowCount).toBe(1);

    // The sweeper queues the reply again; the job finds the message in the conversation.
    await waitFor(() => t.logs.text.includes('the channel has it, recorded as sent'), {
      timeoutMs: 30_000,
      what: "the dead run's send to be found",
    });
    await t.settle(30_000);
    expect(t.graph.sendsTo('arrived')).toHaveLength(1);
    const { rows } = await t.db.query(
      `SELECT m.status, m.external_id FROM messages m JOIN replies r ON r.id = m.reply_id
        WHERE r.id = $1`,
      [planted.rows[0].id],
    );
    expect(rows).toEqual([{ status: 'sent', external_id: messageId }]);
  }, 90_000);
});
