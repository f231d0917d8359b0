import { sentWithLastMessage } from './outbound.service';

describe('a reply is sent when its last message is', () => {
  it('completes the reply with its last unsent message only', () => {
    expect([0, 1, 2].map((index) => sentWithLastMessage(index, 3))).toEqual([false, false, true]);
  });

  it('counts from the first unsent message of a reply retried after some went out', () => {
    // Three messages, the first sent by an earlier attempt: two unsent remain.
    expect([0, 1].map((index) => sentWithLastMessage(index, 2))).toEqual([false, true]);
  });
});
