import { type Content } from '../../src/creator';
import { type Decision } from '../../src/conversations/dispatcher';
import { type InboundEvent } from '../../src/conversations/inbound-event';

/** A welcome with a personalised first name, as unit tests of a turn's steps answer with. */
export const WELCOME: Content = {
  messages: [{ type: 'text', text: 'Hi {{contact.firstName|there}}!' }],
};

/** A Messenger postback from Ada, with `overrides`: the event a turn starts from. */
export function inboundEvent(overrides: Partial<InboundEvent> = {}): InboundEvent {
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

/** The dispatcher's decision to answer with WELCOME, handing the conversation over when asked. */
export const answerWithWelcome = (handover?: { note: string | null }): Decision => ({
  answer: { content: WELCOME, ...(handover ? { handover } : {}) },
  referral: null,
});
