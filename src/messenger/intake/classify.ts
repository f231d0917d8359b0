import { createHash } from 'node:crypto';
import { type EnvelopeItem, type MessagingItem } from './envelope';

/**
 * The type of a Messenger webhook messaging item: the field Meta sets on the item (`message`,
 * `postback`, `referral`, `optin`, `delivery`, `read`, `reaction`; Meta's Webhook reference,
 * docs/MESSENGER-WEBHOOK.md), except `echo` (a `message` with `is_echo`: the page's own message),
 * `handover` (`pass_thread_control`, `take_thread_control`, `request_thread_control`) and `other`.
 * The channel's word, held by `messenger_inbox.kind` for triage; conversations see the `EventKind`
 * normalisation maps it to (`delivery` becomes `delivered`, `message` becomes `text`,
 * `quickReply`, `attachment` or `referral`, ...).
 */
export type MessagingItemType =
  | 'postback'
  | 'referral'
  | 'message'
  | 'optin'
  | 'delivery'
  | 'read'
  | 'echo'
  | 'reaction'
  | 'handover'
  | 'other';

/**
 * Kinds the bot never handles; stored as ignored and never queued. Delivery and read receipts are
 * queued: they move referral funnels on (answers delivered and read), though nothing answers them.
 */
export const UNHANDLED_ITEM_TYPES: ReadonlySet<MessagingItemType> = new Set([
  'echo',
  'reaction',
  'other',
]);

export interface ClassifiedItem {
  pageId: string;
  /** `psid:<id>` or `user_ref:<ref>`: who the contact is. Null when the item names nobody. */
  senderKey: string | null;
  kind: MessagingItemType;
  standby: boolean;
  occurredAt: Date;
  dedupeKey: string;
  item: MessagingItem;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Milliseconds from Meta's timestamp: ms, seconds, or either as a string. */
export function toEpochMs(value: unknown): number | null {
  if (typeof value === 'string' && value.trim() !== '' && !/^\d+(\.\d+)?$/.test(value.trim())) {
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) && parsed > 0 ? parsed : null;
  }
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n <= 0) return null;
  // Below 10^11 a number can only be seconds (10^11 ms is 1973, 10^11 s is year 5138).
  const ms = Math.round(n < 1e11 ? n * 1000 : n);
  // Beyond 10^13 ms (year 2286) it is garbage, not a time.
  return ms < 1e13 ? ms : null;
}

/**
 * Longer sender ids than a contact's external_id column (varchar(255)) holds are not Meta's: such
 * items name nobody. (The inbox's sender_key, varchar(300), holds the prefix on top.)
 */
export const SENDER_ID_MAX = 255;

export function senderKeyOf(item: MessagingItem): string | null {
  const sender = record(item.sender);
  const psid = text(sender?.id);
  const userRef = text(sender?.user_ref) ?? text(record(item.optin)?.user_ref);
  const id = psid ?? userRef;
  if (!id || id.length > SENDER_ID_MAX) return null;
  return psid ? `psid:${psid}` : `user_ref:${id}`;
}

export function kindOf(item: MessagingItem): MessagingItemType {
  const message = record(item.message);
  if (message) return message.is_echo === true ? 'echo' : 'message';
  if (record(item.postback)) return 'postback';
  if (record(item.referral)) return 'referral';
  if (record(item.optin)) return 'optin';
  if (record(item.delivery)) return 'delivery';
  if (record(item.read)) return 'read';
  if (record(item.reaction)) return 'reaction';
  // Handover Protocol: the thread's owner changed (or another app asks for it).
  if (
    record(item.pass_thread_control) ||
    record(item.take_thread_control) ||
    record(item.request_thread_control)
  )
    return 'handover';
  return 'other';
}

/** The ref an item carries, wherever Meta put it; null when it has none (plugin referrals may not). */
export function refOf(item: MessagingItem): string | null {
  const referral =
    record(item.referral) ??
    record(record(item.postback)?.referral) ??
    record(record(item.message)?.referral);
  return text(referral?.ref) ?? text(record(item.optin)?.ref) ?? null;
}

function midOf(item: MessagingItem): string | undefined {
  return text(record(item.message)?.mid) ?? text(record(item.postback)?.mid);
}

/**
 * Classifies an envelope item and gives it a dedupe key: Meta's message id when there is one, else
 * page + sender + timestamp + kind + ref, so a redelivery of the same event maps to the same row.
 */
export function classify(envelopeItem: EnvelopeItem, receivedAt: number): ClassifiedItem {
  const { item, pageId, standby } = envelopeItem;
  const kind = kindOf(item);
  const senderKey = senderKeyOf(item);
  const occurredMs = toEpochMs(item.timestamp) ?? toEpochMs(envelopeItem.entryTime) ?? receivedAt;
  const mid = midOf(item);
  const natural = mid
    ? `mid:${mid}`
    : [
        pageId,
        senderKey ?? '-',
        occurredMs,
        kind,
        refOf(item) ?? '-',
        standby ? 'standby' : 'messaging',
      ].join('|');
  // Refs run to 2,083 characters: long keys are hashed rather than cut, so they stay distinct.
  const dedupeKey =
    natural.length <= 200
      ? natural
      : `sha256:${createHash('sha256').update(natural).digest('base64url')}`;
  return {
    pageId,
    senderKey,
    kind,
    standby,
    occurredAt: new Date(occurredMs),
    dedupeKey,
    item,
  };
}
