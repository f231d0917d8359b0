import { BotsModule, BotsService } from '../../src/bots';
import { ConversationsModule, SentMarks } from '../../src/conversations';
import { OutboundService } from '../../src/conversations/outbound.service';
import { ReferralsService } from '../../src/referrals';
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
  });
  beforeEach(() => {
    channel.sent.length = 0;
    carrierBusy = false;
    marks.carryWaitMs = 60_000;
  });
  afterAll(() => s.close());

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

    let carried: Awaited<ReturnType<SentMarks['carry']>> | undefined;
    await s.dataSource.transaction(async (tx) => {
      carried = await marks.carry(tx);
    });
    carried!.committed();
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

  it('writes the records on their own once the carrier, nudged, is at work no more', async () => {
    carrierBusy = true;
    const replyId = await storedReply('idle-carrier-person');
    const sending = outbound.send(replyId, false);
    await sentToChannel(3);
    carrierBusy = false;
    marks.nudge();
    await sending;
    expect(await recorded(replyId)).toEqual(allSent(5));
  });
});
