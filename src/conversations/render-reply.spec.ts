import { CreatorService, type Content } from '../creator';
import { type Decision } from './dispatcher';
import { type InboundEvent } from './inbound-event';
import { RenderReply } from './render-reply';

const welcome: Content = { messages: [{ type: 'text', text: 'Hi {{contact.firstName|there}}!' }] };

function event(overrides: Partial<InboundEvent> = {}): InboundEvent {
  return {
    botId: 'bot',
    contactId: 'contact',
    contact: { firstName: 'Ada', lastName: null, firstSeenAt: new Date(0) },
    channel: 'messenger',
    occurredAt: new Date(0),
    standby: false,
    kind: 'postback',
    text: null,
    payload: null,
    externalMessageId: null,
    referral: null,
    raw: {},
    ...overrides,
  };
}

const answer = (handover?: { note: string | null }): Decision => ({
  answer: { content: welcome, ...(handover ? { handover } : {}) },
  referral: null,
});

describe('RenderReply: the messages answering a turn', () => {
  const render = new RenderReply(new CreatorService());

  it('renders the answer personalised for the contact', () => {
    const [message] = render.forTurn(event(), false, answer());
    expect(message).toMatchObject({ kind: 'text', text: 'Hi Ada!' });
  });

  it('passes the thread to the agent after the content when the answer hands over', () => {
    const messages = render.forTurn(event(), false, answer({ note: 'to sales' }));
    expect(messages.map((m) => m.kind)).toEqual(['text', 'thread_control']);
    expect(messages[1].payload).toEqual({
      thread_control: { action: 'pass', targetAppId: null, metadata: 'to sales' },
    });
  });

  it('answers nothing while a human agent holds the conversation, or another app the thread', () => {
    expect(render.forTurn(event(), true, answer())).toEqual([]);
    expect(render.forTurn(event({ standby: true }), false, answer({ note: null }))).toEqual([]);
  });
});
