import { BotsModule, BotsService } from '../../src/bots';
import { ConversationsModule, type ReplyRow, type SendOutcome } from '../../src/conversations';
import { OutboundRepository } from '../../src/conversations/outbound.repository';
import { OutboundService } from '../../src/conversations/outbound.service';
import { ReferralsService } from '../../src/referrals';
import { inboundEvents } from './support/inbound-events';
import { ScriptedChannelModule, ScriptedSender } from './support/scripted-sender';
import { startServices, type ServiceContext } from './support/service-context';

const failure = (retryable: boolean, code: number): SendOutcome => ({
  ok: false,
  retryable,
  code,
  subcode: null,
  message: retryable ? 'Please retry your request later' : 'This person is not available',
});

interface StoredMessage {
  status: string;
  errorCode: number | null;
  attempts: number;
}

/** OutboundService sends a stored reply through the channel's sender and records each outcome. */
describe('OutboundService (integration)', () => {
  let s: ServiceContext;
  let outbound: OutboundService;
  let channel: ScriptedSender;
  let events: ReturnType<typeof inboundEvents>;

  /** A pending reply of three messages to `psid`, written as an inbound referral writes it. */
  async function storedReply(psid: string): Promise<string> {
    const [result] = await events.handle(await events.eventFor(psid, events.referral('three')));
    if (!result.replyId) throw new Error('no reply written');
    return result.replyId;
  }

  async function stored(replyId: string): Promise<{ reply: string; messages: StoredMessage[] }> {
    const [reply] = await s.dataSource.query<{ status: string }[]>(
      'SELECT status FROM replies WHERE id = $1',
      [replyId],
    );
    const messages = await s.dataSource.query<StoredMessage[]>(
      `SELECT status, error_code AS "errorCode", attempts FROM messages
        WHERE reply_id = $1 ORDER BY position`,
      [replyId],
    );
    return { reply: reply.status, messages };
  }

  beforeAll(async () => {
    // A worker process: only it opens the send claims' session that OutboundService needs.
    s = await startServices([BotsModule, ConversationsModule, ScriptedChannelModule], {
      PROCESS_ROLE: 'worker',
    });
    outbound = s.get(OutboundService);
    channel = s.get(ScriptedSender);
    const botId = (await s.get(BotsService).create({ name: 'Outbound bot' })).id;
    events = inboundEvents(s, botId);
    await s.get(ReferralsService).create(botId, {
      trackingParam: 'three',
      answerType: 'message',
      content: {
        messages: ['one', 'two', 'three'].map((text) => ({ type: 'text' as const, text })),
      },
      segmentName: 'Three',
    });
  });
  beforeEach(() => {
    channel.sent.length = 0;
    channel.script.length = 0;
  });
  afterAll(() => s.close());

  it('sends the messages in order and marks them and the reply sent', async () => {
    const replyId = await storedReply('sent-person');
    await outbound.send(replyId, false);
    expect(channel.sent).toEqual(
      ['one', 'two', 'three'].map((text) => ({ psid: 'sent-person', text })),
    );
    const ok = { status: 'sent', errorCode: null, attempts: 1 };
    expect(await stored(replyId)).toEqual({ reply: 'sent', messages: [ok, ok, ok] });
  });

  it('keeps a reply pending after a transient error, and sends only the rest on the retry', async () => {
    const replyId = await storedReply('transient-person');
    channel.script.push({ ok: true, externalId: 'mid.first' }, failure(true, 2));
    await expect(outbound.send(replyId, false)).rejects.toThrow(/will retry/);
    // A reply is sent when its last message is: one of three sent leaves it pending.
    expect(await stored(replyId)).toEqual({
      reply: 'pending',
      messages: [
        { status: 'sent', errorCode: null, attempts: 1 },
        { status: 'pending', errorCode: 2, attempts: 1 },
        { status: 'pending', errorCode: null, attempts: 0 },
      ],
    });

    expect(channel.sent.map((m) => m.text)).toEqual(['one']);
    await outbound.send(replyId, false);
    expect(channel.sent.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect((await stored(replyId)).reply).toBe('sent');
  });

  it('marks a message failed on a permanent error, the reply failed and the rest skipped', async () => {
    const replyId = await storedReply('blocked-person');
    channel.script.push(failure(false, 551));
    await outbound.send(replyId, false);
    expect(channel.sent).toEqual([]);
    expect(await stored(replyId)).toEqual({
      reply: 'failed',
      messages: [
        { status: 'failed', errorCode: 551, attempts: 1 },
        { status: 'skipped', errorCode: null, attempts: 0 },
        { status: 'skipped', errorCode: null, attempts: 0 },
      ],
    });
  });

  it('marks a reply in hand answering no referral entry without the funnel part', async () => {
    const markSent = jest.spyOn(s.get(OutboundRepository), 'markSent');
    try {
      // An unknown ref is answered with the welcome, in no referral's funnel.
      const [welcome] = await events.handle(
        await events.eventFor('welcomed-person', events.referral('no-such-ref')),
      );
      await outbound.sendLoaded((await welcome.reply) as ReplyRow, false);
      expect((await stored(welcome.replyId!)).reply).toBe('sent');
      expect(markSent.mock.calls.map(([, , answering]) => answering)).toEqual([[]]);

      const [answer] = await events.handle(
        await events.eventFor('referred-person', events.referral('three')),
      );
      await outbound.sendLoaded((await answer.reply) as ReplyRow, false);
      expect((await stored(answer.replyId!)).reply).toBe('sent');
      // Three messages: only the last one's mark completes the reply, and counts its answer.
      expect(markSent.mock.calls.map(([, , answering]) => answering)).toEqual([
        [],
        [],
        [],
        [answer.replyId],
      ]);
      const [counted] = await s.dataSource.query<{ sent: boolean }[]>(
        'SELECT sent_at IS NOT NULL AS sent FROM referral_answers WHERE reply_id = $1',
        [answer.replyId],
      );
      expect(counted).toEqual({ sent: true });
    } finally {
      markSent.mockRestore();
    }
  });

  it('gives up on a transient error at the last attempt', async () => {
    const replyId = await storedReply('last-attempt-person');
    channel.script.push(failure(true, 2));
    await outbound.send(replyId, true);
    expect((await stored(replyId)).messages[0]).toEqual({
      status: 'failed',
      errorCode: 2,
      attempts: 1,
    });
    expect((await stored(replyId)).reply).toBe('failed');
  });
});
