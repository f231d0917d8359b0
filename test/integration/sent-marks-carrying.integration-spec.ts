import { BotsModule, BotsService } from '../../src/bots';
import { ConversationsModule, SentMarks } from '../../src/conversations';
import { OutboundService } from '../../src/conversations/outbound.service';
import { ReferralsService } from '../../src/referrals';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { inboundEvents } from './support/inbound-events';
import { ScriptedChannelModule, ScriptedSender } from './support/scripted-sender';
import { startServices, type ServiceContext } from './support/service-context';

interface Recorded {
  reply: string;
  messages: string[];
  answerSent: boolean;
  answersSentCounted: number;
}

/**
 * SentMarks: while a carrier is at work, sends' records wait for its transaction; otherwise, or
 * when it does not come, or rolls back, they are written on their own. Real Postgres throughout.
 */
describe('SentMarks.transaction with Carrying.take (integration)', () => {
  let s: ServiceContext;
  let outbound: OutboundService;
  let marks: SentMarks;
  let channel: ScriptedSender;
  let events: ReturnType<typeof inboundEvents>;
  let referralId: string;
  /** What the test's carrier says when asked whether one of its transactions is coming. */
  let carrierBusy = false;

  /** A pending reply of three messages to `psid`, answering a referral entry. */
  async function storedReply(psid: string): Promise<string> {
    const [result] = await events.handle(await events.eventFor(psid, events.referral('three')));
    return result.replyId!;
  }

  async function recorded(replyId: string): Promise<Recorded> {
    const [row] = await s.dataSource.query<Recorded[]>(
      `SELECT r.status AS reply,
              (SELECT array_agg(m.status ORDER BY m.position) FROM messages m WHERE m.reply_id = r.id) AS messages,
              (SELECT a.sent_at IS NOT NULL FROM referral_answers a WHERE a.reply_id = r.id) AS "answerSent",
              (SELECT coalesce(sum(answers_sent), 0)::int FROM referral_stats
                WHERE referral_id = $2 AND source = '*' AND channel = '*') AS "answersSentCounted"
         FROM replies r WHERE r.id = $1`,
      [replyId, referralId],
    );
    return row;
  }

  const allSent = (counted: number): Recorded => ({
    reply: 'sent',
    messages: ['sent', 'sent', 'sent'],
    answerSent: true,
    answersSentCounted: counted,
  });

  /** Resolves when the channel has been handed `count` messages in all. */
  async function sentToChannel(count: number): Promise<void> {
    while (channel.sent.length < count) await new Promise((resolve) => setImmediate(resolve));
  }

  beforeAll(async () => {
    s = await startServices([BotsModule, ConversationsModule, ScriptedChannelModule], {
      PROCESS_ROLE: 'worker',
    });
    outbound = s.get(OutboundService);
    marks = s.get(SentMarks);
    marks.addCarrier(() => carrierBusy);
    channel = s.get(ScriptedSender);
    const botId = (await s.get(BotsService).create({ name: 'Marks bot' })).id;
    events = inboundEvents(s, botId);
    referralId = (
      await s.get(ReferralsService).create(botId, {
        trackingParam: 'three',
        answerType: 'message',
        content: { messages: ['one', 'two', 'three'].map((text) => ({ type: 'text', text })) },
        segmentName: 'Three',
      })
    ).id;
    // Fault injection: Postgres refuses to mark the messages listed in refused_marks sent.
    await s.dataSource.query(`CREATE TABLE refused_marks (id bigint PRIMARY KEY)`);
    await s.dataSource.query(
      `CREATE FUNCTION refuse_mark() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.status = 'sent' AND EXISTS (SELECT 1 FROM refused_marks WHERE id = NEW.id) THEN
           RAISE EXCEPTION 'mark of message % refused', NEW.id;
         END IF;
         RETURN NEW;
       END $$`,
    );
    await s.dataSource.query(
      `CREATE TRIGGER refuse_mark BEFORE UPDATE ON messages FOR EACH ROW EXECUTE FUNCTION refuse_mark()`,
    );
  });
  beforeEach(async () => {
    channel.sent.length = 0;
    carrierBusy = false;
    marks.carryWaitMs = 60_000;
    await s.dataSource.query(`DELETE FROM refused_marks`);
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => s.close());

  /** Resolves once `check` holds (polled between event-loop turns). */
  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    while (!(await check())) await new Promise((resolve) => setImmediate(resolve));
  }

  async function pendingItem(n: string): Promise<InboxRow> {
    const inbox = new InboxRepository(s.dataSource);
    const stored = await inbox.insertMany([
      {
        dedupeKey: `carry-${n}`,
        pageId: 'page-carry',
        botId: null,
        senderKey: `psid:carry-${n}`,
        kind: 'message' as const,
        standby: false,
        occurredAt: new Date(),
        json: JSON.stringify({ message: { text: n } }),
        status: 'pending' as const,
        note: null,
      },
    ]);
    const [row] = await inbox.pending(stored.map((r) => r.id));
    return row;
  }
  const statusOf = async (id: string): Promise<string> =>
    (
      await s.dataSource.query<{ status: string }[]>(
        `SELECT status FROM messenger_inbox WHERE id = $1`,
        [id],
      )
    )[0].status;

  it('records marks taken by the batch’s mark statement once, with the items marked', async () => {
    carrierBusy = true;
    const inbox = new InboxRepository(s.dataSource);
    const replyId = await storedReply('take-commit-person');
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    const row = await pendingItem('a');
    let parts = 0;
    await marks.transaction(async (tx, carrying) => {
      const take = carrying.take.bind(carrying);
      const counting = {
        take: () => {
          const p = take();
          if (p) parts += 1;
          return p;
        },
      };
      await inbox.lockPendingUpTo(tx, [
        { pageId: row.pageId, senderKey: row.senderKey!, occurredAt: row.occurredAt, id: row.id },
      ]);
      await inbox.mark([{ id: row.id, status: 'processed', note: null }], tx, counting);
    });
    expect(parts).toBe(1);
    expect(await statusOf(row.id)).toBe('processed');
    // The completing mark waits for the next carrier.
    await until(async () => {
      await marks.transaction(async (tx, carrying) => {
        const r2 = await pendingItem(`b-${Math.random()}`);
        await inbox.mark([{ id: r2.id, status: 'processed', note: null }], tx, carrying);
      });
      return (await recorded(replyId)).reply === 'sent';
    });
    await sending;
    expect(await recorded(replyId)).toEqual(allSent(1));
  });

  it('writes taken marks alone, once, when the statement that carried them fails', async () => {
    carrierBusy = true;
    const inbox = new InboxRepository(s.dataSource);
    const replyId = await storedReply('take-fail-person');
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    const row = await pendingItem('c');
    // The marks wait already; the completing one, issued after they are written, need not.
    carrierBusy = false;
    await expect(
      marks.transaction(async (tx, carrying) => {
        // A note the inbox refuses (status too long for its column): the statement fails.
        await inbox.mark(
          [{ id: row.id, status: 'x'.repeat(300) as never, note: null }],
          tx,
          carrying,
        );
      }),
    ).rejects.toThrow();
    expect(await statusOf(row.id)).toBe('pending');
    await sending;
    const r = await recorded(replyId);
    expect(r).toEqual(allSent(2));
    const [attempts] = await s.dataSource.query<{ a: number[] }[]>(
      `SELECT array_agg(attempts ORDER BY position) AS a FROM messages WHERE reply_id = $1`,
      [replyId],
    );
    expect(attempts.a).toEqual([1, 1, 1]);
  });

  it('carries marks in their own statement when the batch marks no outcome', async () => {
    carrierBusy = true;
    const replyId = await storedReply('no-outcome-person');
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    const inbox = new InboxRepository(s.dataSource);
    await until(async () => {
      await marks.transaction(async (tx, carrying) => {
        await inbox.mark([], tx, carrying);
      });
      return (await recorded(replyId)).reply === 'sent';
    });
    await sending;
    expect(await recorded(replyId)).toEqual(allSent(3));
  });
});
