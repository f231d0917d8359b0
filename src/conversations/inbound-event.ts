import { type Channel, type ExternalIdKind } from '../contacts';

/**
 * The event kinds: what the contact (or the channel) did, in channel-neutral terms, the one
 * vocabulary of conversations, the inbox's normalisation and the widget; each channel maps its own
 * payloads onto it (Messenger: `MessagingItemType` in src/messenger/intake/classify.ts, mapped in
 * src/messenger/inbound/normalise.ts). `threadControl`: the channel says who owns the thread
 * changed (Messenger's Handover Protocol). `delivered` and `read`: receipts (Messenger's
 * `delivery` and `read` items, the widget's receipts), which move funnels and are not logged.
 * Inbound rows of `messages` keep it in `event_kind` (docs/ARCHITECTURE.md, "Event kinds").
 */
export const EVENT_KINDS = [
  'referral',
  'postback',
  'quickReply',
  'text',
  'attachment',
  'threadControl',
  'delivered',
  'read',
  'other',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

/** The event kinds of receipts: every message sent up to a watermark was delivered / read. */
export type ReceiptKind = Extract<EventKind, 'delivered' | 'read'>;

/**
 * A change of thread ownership the channel reported: `started` another app (a human agent's inbox)
 * took the thread, `ended` it came back to the bot, `requested` another app asked for it (recorded).
 */
export interface InboundThreadControl {
  change: 'started' | 'ended' | 'requested';
  /** The other app's id, as the channel named it. */
  appId: string | null;
  /** The channel's note on the change (Meta's `metadata`). */
  metadata: string | null;
}

export interface InboundReferral {
  /** The raw ref, as the link carried it; null for plugin referrals without one. */
  ref: string | null;
  /** Where the click came from (SHORTLINK, ADS, CUSTOMER_CHAT_PLUGIN, ...): an open string. */
  source: string | null;
  adId: string | null;
  adsContext: Record<string, unknown> | null;
  refererUri: string | null;
}

/** What the channel already knows about the contact, so handling needs no extra lookup. */
export interface InboundContact {
  firstName: string | null;
  lastName: string | null;
  /** The contact's first event: an entry at this time comes from a new contact. */
  firstSeenAt: Date;
  /**
   * The contact's id on the channel, when the channel has it at hand: a reply can then be sent
   * the moment it is committed, without reading it back (see ConversationsService.sendReplies).
   */
  address?: { externalId: string; externalIdKind: ExternalIdKind };
  /**
   * The caller's transaction inserted the contact's row (its upsert created it): the contact has
   * no conversation yet, so its first event's conversation opens without waiting for an answer
   * (ConversationsService.openConversations).
   */
  createdInTransaction?: boolean;
}

export interface InboundEvent {
  botId: string;
  contactId: string;
  contact: InboundContact;
  channel: Channel;
  occurredAt: Date;
  /** Another app owns the thread (Messenger standby): record everything, answer nothing. */
  standby: boolean;
  kind: EventKind;
  text: string | null;
  /** A postback or quick-reply payload. */
  payload: string | null;
  /** The channel's id of the inbound message, when it has one. */
  externalMessageId: string | null;
  referral: InboundReferral | null;
  /** For kind `threadControl`. */
  threadControl?: InboundThreadControl | null;
  /**
   * A delivery or read receipt: every message the bot sent up to `watermark` was delivered / read
   * (Messenger's `delivery.watermark` and `read.watermark`).
   */
  receipt?: { kind: ReceiptKind; watermark: Date } | null;
  /** The channel's original item, kept in the message log. */
  raw: Record<string, unknown>;
}
