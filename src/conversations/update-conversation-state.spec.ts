import {
  answerWithWelcome as answer,
  inboundEvent as event,
} from '../../test/support/conversation-turns';
import { handoverChangeOf } from './update-conversation-state';

describe('handover is sticky until released: who holds a conversation after a turn', () => {
  const open = { id: 'conversation', handedOver: false };

  it('hands over when the answer says so, with its note', () => {
    expect(handoverChangeOf(event(), open, answer({ note: null }))).toEqual({
      conversationId: 'conversation',
      handover: true,
      handoverNote: null,
      release: false,
    });
  });

  it('leaves a conversation as it is when nothing changes hands', () => {
    expect(handoverChangeOf(event(), open, answer())).toBeNull();
    // A silent bot's answer hands nothing over: the conversation is held already.
    expect(
      handoverChangeOf(event(), { ...open, handedOver: true }, answer({ note: 'x' })),
    ).toBeNull();
  });

  it("follows the channel's thread control: taken by another app, and released", () => {
    const taken = event({
      kind: 'threadControl',
      threadControl: { change: 'started', appId: '42', metadata: null },
    });
    expect(handoverChangeOf(taken, open, { answer: null, referral: null })).toMatchObject({
      handover: true,
      handoverNote: 'Thread taken by app 42',
      release: false,
    });
    const back = event({
      kind: 'threadControl',
      threadControl: { change: 'ended', appId: '42', metadata: null },
    });
    expect(
      handoverChangeOf(back, { ...open, handedOver: true }, { answer: null, referral: null }),
    ).toMatchObject({ handover: false, release: true });
  });
});
