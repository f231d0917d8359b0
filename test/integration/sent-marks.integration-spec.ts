import { BotsModule, BotsService } from '../../src/bots';
import { ConversationsModule, SentMarks } from '../../src/conversations';
import { OutboundRepository } from '../../src/conversations/outbound.repository';
import { OutboundService } from '../../src/conversations/outbound.service';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { ReferralsService } from '../../src/referrals';
import { boundOf, storePending } from './support/inbox-items';
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
describe('SentMarks (integration)', () => {
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

  /** Makes Postgres refuse the record of the reply's first message (until beforeEach). */
  async function refuseFirstMessageOf(replyId: string): Promise<void> {
    await s.dataSource.query(
      `INSERT INTO refused_marks SELECT id FROM messages WHERE reply_id = $1 AND position = 0`,
      [replyId],
    );
  }

  /** A carrier's transaction that commits: how many marks it carried. */
  async function carryCommitted(): Promise<number> {
    let carried: Awaited<ReturnType<SentMarks['carry']>> | undefined;
    await s.dataSource.transaction(async (tx) => {
      carried = await marks.carry(tx);
    });
    carried!.committed();
    return carried!.count;
  }

  /** Resolves once `check` holds (polled between event-loop turns). */
  async function until(check: () => Promise<boolean> | boolean): Promise<void> {
    while (!(await check())) await new Promise((resolve) => setImmediate(resolve));
  }

  it('with no carrier at work, records each send at once', async () => {
    const replyId = await storedReply('alone-person');
    await outbound.send(replyId, false);
    expect(await recorded(replyId)).toEqual(allSent(1));
  });

  it('while a carrier is at work, sends every message at once and records them in its transaction', async () => {
    carrierBusy = true;
    const replyId = await storedReply('carried-person');
    let done = false;
    const sending = outbound.send(replyId, false).then(() => (done = true));
    // The records wait, the sends do not: all three messages reach the channel first.
    await sentToChannel(3);
    expect(done).toBe(false);
    expect((await recorded(replyId)).messages).toEqual(['sending', 'sending', 'sending']);

    // The first two records ride one carrier transaction; the one completing the reply, issued
    // once they committed, a later one.
    expect(await carryCommitted()).toBe(2);
    expect(done).toBe(false);
    let last = 0;
    await until(async () => (last = await carryCommitted()) > 0);
    expect(last).toBe(1);
    await sending;
    expect(await recorded(replyId)).toEqual(allSent(2));
  });

  it('writes the records on their own when the transaction that carried them rolled back', async () => {
    carrierBusy = true;
    const replyId = await storedReply('rolled-back-person');
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    let carried: Awaited<ReturnType<SentMarks['carry']>> | undefined;
    await expect(
      s.dataSource.transaction(async (tx) => {
        carried = await marks.carry(tx);
        throw new Error('the carrier failed after carrying');
      }),
    ).rejects.toThrow(/carrier failed/);
    expect((await recorded(replyId)).messages).toEqual(['sending', 'sending', 'sending']);
    carrierBusy = false;
    carried!.rolledBack();
    await sending;
    expect(await recorded(replyId)).toEqual(allSent(3));
  });

  it('writes the records on their own when no carrier transaction takes them in time', async () => {
    carrierBusy = true;
    marks.carryWaitMs = 100;
    const replyId = await storedReply('late-carrier-person');
    await outbound.send(replyId, false);
    expect(await recorded(replyId)).toEqual(allSent(4));
  });

  it('completes a reply only once the records of its earlier messages have committed', async () => {
    carrierBusy = true;
    const replyId = await storedReply('completes-last-person');
    const repository = s.get(OutboundRepository);
    const markSent = repository.markSent.bind(repository);
    let atCompletion: Recorded | undefined;
    jest.spyOn(repository, 'markSent').mockImplementation(async (manager, sent, answering) => {
      if (sent.some((mark) => mark.replyId === replyId)) atCompletion = await recorded(replyId);
      return markSent(manager, sent, answering);
    });
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    // A carrier takes the first two records, and is slow to commit.
    let carried: Awaited<ReturnType<SentMarks['carry']>> | undefined;
    let endCarrier!: () => void;
    const carrierMayEnd = new Promise<void>((resolve) => (endCarrier = resolve));
    const carrier = s.dataSource.transaction(async (tx) => {
      carried = await marks.carry(tx);
      await carrierMayEnd;
    });
    await until(() => carried !== undefined);
    expect(carried!.count).toBe(2);
    endCarrier();
    await carrier;
    carrierBusy = false;
    carried!.committed();
    await sending;
    // Had the process died before then, a reply `sent` would hold messages no run sends again.
    expect(atCompletion?.messages).toEqual(['sent', 'sent', 'sending']);
    expect(await recorded(replyId)).toEqual(allSent(5));
  });

  it('leaves the reply to its next run when an earlier record fails for good', async () => {
    const replyId = await storedReply('refused-first-person');
    await refuseFirstMessageOf(replyId);
    const realNow = Date.now.bind(Date);
    let skew = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew);
    const sending = outbound.send(replyId, false);
    sending.catch(() => undefined);
    await sentToChannel(3);
    // MARK_SENT_PATIENCE_MS (60 s) passes while Postgres still refuses the first record.
    skew = 61_000;
    await expect(sending).rejects.toThrow(/refused/);
    jest.restoreAllMocks();
    expect((await recorded(replyId)).reply).toBe('pending');

    // Postgres accepts again: the retry takes the claims over and completes the reply.
    await s.dataSource.query(`DELETE FROM refused_marks`);
    await outbound.send(replyId, false);
    expect((await recorded(replyId)).reply).toBe('sent');
  });

  it('fails one carrier transaction at most with a record Postgres refuses, then retries it alone', async () => {
    carrierBusy = true;
    const replyId = await storedReply('poison-person');
    await refuseFirstMessageOf(replyId);
    const [poison] = await s.dataSource.query<{ id: string }[]>(
      `SELECT id::text FROM refused_marks`,
    );
    const markSent = jest.spyOn(s.get(OutboundRepository), 'markSent');
    const sending = outbound.send(replyId, false);
    sending.catch(() => undefined);
    await sentToChannel(3);
    /** A carrier's transaction: its own write, then the marks waiting. */
    const batch = () =>
      s.dataSource.transaction(async (tx) => {
        await tx.query(`SELECT 1`);
        return marks.carry(tx);
      });
    await expect(batch()).rejects.toThrow(/refused/);
    const poisonWrites = () =>
      markSent.mock.calls.filter(([, sent]) => sent.some((mark) => mark.messageId === poison.id));
    // Retried every MARK_SENT_RETRY_MS, on its own each time: never in a carrier's transaction.
    await until(() => poisonWrites().length >= 4);
    expect(poisonWrites().map(([manager]) => manager === s.dataSource.manager)).toEqual([
      false,
      true,
      true,
      true,
      ...poisonWrites()
        .slice(4)
        .map(() => true),
    ]);
    expect((await batch()).count).toBe(0);

    await s.dataSource.query(`DELETE FROM refused_marks`);
    carrierBusy = false;
    await sending;
    expect((await recorded(replyId)).reply).toBe('sent');
  });

  const pendingItem = async (n: string): Promise<InboxRow> =>
    (
      await storePending(new InboxRepository(s.dataSource), [
        {
          dedupeKey: `carry-${n}`,
          pageId: 'page-carry',
          psid: `carry-${n}`,
          occurredAt: new Date(),
        },
      ])
    )[0];
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
      await inbox.lockPendingUpTo(tx, [boundOf(row)]);
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
    expect(await recorded(replyId)).toEqual(allSent(8));
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
    expect(r).toEqual(allSent(9));
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
    expect(await recorded(replyId)).toEqual(allSent(10));
  });
});
