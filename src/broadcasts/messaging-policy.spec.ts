import { type BulkTarget } from '../conversations';
import { type BroadcastRules, type ContactFacts, decide } from './messaging-policy';

const NOW = new Date('2026-12-01T12:00:00Z');
const HOUR = 3600_000;

function target(hoursAgo: number, handedOver = false): BulkTarget {
  return {
    contactId: 'c',
    conversationId: 'v',
    channel: 'messenger',
    lastInboundAt: new Date(NOW.getTime() - hoursAgo * HOUR),
    handedOver,
    firstName: null,
    lastName: null,
  };
}

const facts = (over: Partial<ContactFacts>): ContactFacts => ({
  target: target(1),
  unavailable: false,
  notification: undefined,
  ...over,
});
const none: BroadcastRules = { messageTag: null, notificationTopic: null };

describe('decide (Meta messaging rules for broadcasts)', () => {
  it('sends UPDATE within the 24-hour window, whatever else the broadcast says', () => {
    expect(decide(facts({}), none, NOW)).toEqual({ send: { purpose: 'update', priority: 'bulk' } });
    expect(
      decide(
        facts({ target: target(23.9) }),
        { messageTag: 'ACCOUNT_UPDATE', notificationTopic: null },
        NOW,
      ),
    ).toEqual({
      send: { purpose: 'update', priority: 'bulk' },
    });
  });

  it('outside the window: the tag, else an active subscription, else OUTSIDE_WINDOW', () => {
    const old = target(25);
    expect(decide(facts({ target: old }), none, NOW)).toEqual({ skip: 'OUTSIDE_WINDOW' });
    expect(
      decide(
        facts({ target: old }),
        { messageTag: 'POST_PURCHASE_UPDATE', notificationTopic: null },
        NOW,
      ),
    ).toEqual({ send: { purpose: 'tagged', tag: 'POST_PURCHASE_UPDATE', priority: 'bulk' } });
    const topic = { messageTag: null, notificationTopic: 'deals' };
    expect(decide(facts({ target: old, notification: 'active' }), topic, NOW)).toEqual({
      send: { purpose: 'notification', notificationTopic: 'deals', priority: 'bulk' },
    });
    expect(decide(facts({ target: old, notification: 'stopped' }), topic, NOW)).toEqual({
      skip: 'OPTED_OUT',
    });
    expect(decide(facts({ target: old, notification: 'expired' }), topic, NOW)).toEqual({
      skip: 'TOKEN_EXPIRED',
    });
    expect(decide(facts({ target: old }), topic, NOW)).toEqual({ skip: 'OUTSIDE_WINDOW' });
  });

  it('never sends to a handed-over conversation, an unavailable person or a stranger', () => {
    expect(decide(facts({ target: target(1, true) }), none, NOW)).toEqual({ skip: 'HANDED_OVER' });
    expect(decide(facts({ unavailable: true }), none, NOW)).toEqual({ skip: 'PERSON_UNAVAILABLE' });
    expect(decide(facts({ target: undefined }), none, NOW)).toEqual({ skip: 'NO_CONVERSATION' });
  });
});
