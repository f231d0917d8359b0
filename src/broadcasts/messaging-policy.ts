import { type NotificationState } from '../contacts';
import { type BulkTarget, MESSAGING_WINDOW_MS, type ReplySendOptions } from '../conversations';

/**
 * The message tags Meta still allows for broadcast content outside the 24-hour window. HUMAN_AGENT
 * is for an agent's replies within 7 days, not for broadcasts. Source: Messenger Platform, "Message
 * Tags" (tags other than these four were deprecated in 2020).
 */
export const BROADCAST_TAGS = [
  'ACCOUNT_UPDATE',
  'CONFIRMED_EVENT_UPDATE',
  'POST_PURCHASE_UPDATE',
] as const;
export type BroadcastTag = (typeof BROADCAST_TAGS)[number];

/** Why a recipient is not sent to. */
export const SKIP_REASONS = [
  'OUTSIDE_WINDOW',
  'OPTED_OUT',
  'TOKEN_EXPIRED',
  'HANDED_OVER',
  'PERSON_UNAVAILABLE',
  'NO_CONVERSATION',
  'EMPTY_CONTENT',
  'CANCELLED',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** What a broadcast says about contacts outside the window. */
export interface BroadcastRules {
  messageTag: string | null;
  notificationTopic: string | null;
}

/** What is known of one contact when deciding. */
export interface ContactFacts {
  /** The contact's conversation; undefined when the bot never talked with them. */
  target: BulkTarget | undefined;
  /** A send to them failed with "person unavailable" before (Meta 551). */
  unavailable: boolean;
  /** Their subscription to the broadcast's `notificationTopic`, if any. */
  notification: NotificationState | undefined;
}

export type Decision = { send: ReplySendOptions } | { skip: SkipReason };

/**
 * Meta's rules for a message nobody asked for (MESSENGER.md, "Broadcast outside the 24-hour
 * window"): inside the window `UPDATE`; outside it the broadcast's tag (`MESSAGE_TAG`), else the
 * contact's active marketing-messages subscription (sent with its token), else skipped. A stopped
 * subscription skips as OPTED_OUT, an expired token as TOKEN_EXPIRED; a handed-over conversation
 * or a person known unavailable is never sent to.
 */
export function decide(facts: ContactFacts, rules: BroadcastRules, now: Date): Decision {
  if (facts.unavailable) return { skip: 'PERSON_UNAVAILABLE' };
  const target = facts.target;
  if (!target) return { skip: 'NO_CONVERSATION' };
  if (target.handedOver) return { skip: 'HANDED_OVER' };
  if (now.getTime() - target.lastInboundAt.getTime() <= MESSAGING_WINDOW_MS)
    return { send: { purpose: 'update', priority: 'bulk' } };
  if (rules.messageTag)
    return { send: { purpose: 'tagged', tag: rules.messageTag, priority: 'bulk' } };
  if (rules.notificationTopic !== null) {
    switch (facts.notification) {
      case 'active':
        return {
          send: {
            purpose: 'notification',
            notificationTopic: rules.notificationTopic,
            priority: 'bulk',
          },
        };
      case 'stopped':
        return { skip: 'OPTED_OUT' };
      case 'expired':
        return { skip: 'TOKEN_EXPIRED' };
      case undefined:
        break;
    }
  }
  return { skip: 'OUTSIDE_WINDOW' };
}

/** How a decided send goes out, as shown per recipient. */
export function sentAs(options: ReplySendOptions): string {
  switch (options.purpose) {
    case 'update':
      return 'UPDATE';
    case 'tagged':
      return 'MESSAGE_TAG';
    case 'notification':
      return 'NOTIFICATION';
  }
}
