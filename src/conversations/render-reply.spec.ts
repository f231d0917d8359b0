import { CreatorService } from '../creator';
import {
  answerWithWelcome as answer,
  inboundEvent as event,
} from '../../test/support/conversation-turns';
import { RenderReply } from './render-reply';

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
