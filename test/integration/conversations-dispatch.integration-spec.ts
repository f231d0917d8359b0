import { BotsModule, BotsService } from '../../src/bots';
import { ConversationsModule, type ReplyRow } from '../../src/conversations';
import { type Content } from '../../src/creator';
import { ModulesService } from '../../src/modules';
import { ReferralsService } from '../../src/referrals';
import { inboundEvents } from './support/inbound-events';
import { startServices, type ServiceContext } from './support/service-context';

const text = (t: string): Content['messages'][number] => ({ type: 'text', text: t });

/**
 * What an inbound event is answered with (the dispatcher) and how the answer is stored (reply
 * writing), through `ConversationsService.handleInboundMany` on the real database: the stored
 * reply and messages are what the tests read, so the service's inner steps may change freely.
 */
describe('ConversationsService: answers and stored replies (integration)', () => {
  let s: ServiceContext;
  let botId: string;
  let events: ReturnType<typeof inboundEvents>;
  let menuModuleId: string;
  let handoverModuleId: string;
  const springContent: Content = { messages: [text('Spring is here'), text('20% off today')] };
  const welcome: Content = { messages: [text('Welcome, {{contact.firstName|friend}}!')] };
  const menu: Content = { messages: [text('The menu')] };
  const fallback: Content = { messages: [text('Sorry, I did not get that')] };

  /** The texts of a reply's messages, in their stored order. */
  async function replyTexts(replyId: string | null): Promise<string[] | null> {
    if (!replyId) return null;
    const rows = await s.dataSource.query<{ text: string }[]>(
      'SELECT text FROM messages WHERE reply_id = $1 ORDER BY position',
      [replyId],
    );
    return rows.map((row) => row.text);
  }

  beforeAll(async () => {
    s = await startServices([BotsModule, ConversationsModule]);
    events = inboundEvents(s, (botId = (await s.get(BotsService).create({ name: 'Bot' })).id));
    const modules = s.get(ModulesService);
    const create = async (name: string, type: string, config: Record<string, unknown>) =>
      (await modules.create(botId, { name, type, config })).id;
    menuModuleId = await create('Menu', 'message', { content: menu });
    const fallbackModuleId = await create('Fallback', 'message', { content: fallback });
    handoverModuleId = await create('Human', 'handover', {
      content: { messages: [text('A colleague will answer')] },
      note: 'asked for a human',
    });
    await s.get(BotsService).update(botId, { welcome, fallbackModuleId });
    const referrals = s.get(ReferralsService);
    await referrals.create(botId, {
      trackingParam: 'spring-sale',
      answerType: 'message',
      content: springContent,
      segmentName: 'Spring buyers',
    });
    await referrals.create(botId, {
      trackingParam: 'to-menu',
      answerType: 'module',
      moduleId: menuModuleId,
      segmentName: 'Menu readers',
    });
  });
  afterAll(() => s.close());

  it("answers a referral with its content, a module referral with the module's, an unknown ref with the welcome", async () => {
    const [content, module, unknown] = await events.handle(
      await events.eventFor('r-content', events.referral('spring-sale')),
      await events.eventFor('r-module', events.referral('to-menu')),
      await events.eventFor('r-unknown', events.referral('no-such-ref')),
    );
    expect(await replyTexts(content.replyId)).toEqual(['Spring is here', '20% off today']);
    expect(await replyTexts(module.replyId)).toEqual(['The menu']);
    expect(await replyTexts(unknown.replyId)).toEqual(['Welcome, Ada!']);
  });

  it('answers a module postback with its module, Get Started with the welcome, a text with the fallback', async () => {
    const [button, getStarted, said] = await events.handle(
      await events.eventFor('p-module', { kind: 'postback', payload: `MODULE:${menuModuleId}` }),
      await events.eventFor('p-start', { kind: 'postback', payload: 'GET_STARTED' }),
      await events.eventFor('t-text', { kind: 'text', text: 'hello?' }),
    );
    expect(await replyTexts(button.replyId)).toEqual(['The menu']);
    expect(await replyTexts(getStarted.replyId)).toEqual(['Welcome, Ada!']);
    expect(await replyTexts(said.replyId)).toEqual(['Sorry, I did not get that']);
  });

  it('stays silent on standby items and, after a handover, until the conversation is released', async () => {
    const [standby] = await events.handle(
      await events.eventFor('standby', { kind: 'text', text: 'hi', standby: true }),
    );
    expect(standby.replyId).toBeNull();

    const [handover] = await events.handle(
      await events.eventFor('handed', { kind: 'postback', payload: `MODULE:${handoverModuleId}` }),
    );
    const sent = await s.dataSource.query<{ text: string | null; payload: object }[]>(
      'SELECT text, payload FROM messages WHERE reply_id = $1 ORDER BY position',
      [handover.replyId],
    );
    // The module's content first, then the thread passed to the agent's app.
    expect(sent.map((m) => m.text)).toEqual(['A colleague will answer', null]);
    expect(sent[1].payload).toMatchObject({ thread_control: { action: 'pass' } });

    const [ignored] = await events.handle(
      await events.eventFor('handed', { kind: 'text', text: 'are you there?' }),
    );
    expect(ignored.replyId).toBeNull();
    const [released] = await events.handle(
      await events.eventFor('handed', {
        kind: 'threadControl',
        threadControl: { change: 'ended', appId: '263902037438966', metadata: null },
      }),
    );
    expect(released.replyId).toBeNull();
    const [answered] = await events.handle(
      await events.eventFor('handed', { kind: 'text', text: 'back?' }),
    );
    expect(await replyTexts(answered.replyId)).toEqual(['Sorry, I did not get that']);
  });

  it('stores a reply pending, its messages in order and tied to the conversation, after the inbound one', async () => {
    const [result] = await events.handle(
      await events.eventFor('writer', events.referral('spring-sale')),
    );
    const [reply] = await s.dataSource.query<
      { conversationId: string; status: string; channel: string }[]
    >(`SELECT conversation_id AS "conversationId", status, channel FROM replies WHERE id = $1`, [
      result.replyId,
    ]);
    expect(reply).toEqual({
      conversationId: result.conversationId,
      status: 'pending',
      channel: 'messenger',
    });
    const log = await s.dataSource.query<
      {
        direction: string;
        eventKind: string | null;
        contentType: string | null;
        replyId: string | null;
        position: number | null;
        status: string;
      }[]
    >(
      `SELECT direction, event_kind AS "eventKind", content_type AS "contentType",
              reply_id AS "replyId", position, status FROM messages
        WHERE conversation_id = $1 ORDER BY direction, position`,
      [result.conversationId],
    );
    // The inbound row records the event kind, the outbound ones their content type.
    const inbound = { direction: 'in', contentType: null };
    const outbound = { direction: 'out', eventKind: null };
    expect(log).toEqual([
      { ...inbound, eventKind: 'referral', replyId: null, position: null, status: 'received' },
      { ...outbound, contentType: 'text', replyId: result.replyId, position: 0, status: 'pending' },
      { ...outbound, contentType: 'text', replyId: result.replyId, position: 1, status: 'pending' },
    ]);
    // The reply in hand, for the one-hop send, is the stored one.
    const inHand = (await result.reply) as ReplyRow;
    expect(inHand.messages.map((m) => m.payload.text)).toEqual(['Spring is here', '20% off today']);
    const [conversation] = await s.dataSource.query<{ referralSet: boolean }[]>(
      'SELECT last_referral_id IS NOT NULL AS "referralSet" FROM conversations WHERE id = $1',
      [result.conversationId],
    );
    expect(conversation).toEqual({ referralSet: true });
  });
});
