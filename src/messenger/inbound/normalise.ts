import { type ExternalIdKind } from '../../contacts';
import { type InboundEvent, type InboundReferral } from '../../conversations';
import { type MessagingItem } from '../intake/envelope';
import { subscriptionOf, threadControlOf } from './platform-events';

export type NormalisedItem = Omit<
  InboundEvent,
  'botId' | 'contactId' | 'contact' | 'channel' | 'occurredAt' | 'standby'
> & {
  externalId: string;
  externalIdKind: ExternalIdKind;
};

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function toReferral(referral: Json): InboundReferral {
  return {
    ref: str(referral.ref),
    source: str(referral.source),
    adId: str(referral.ad_id),
    adsContext: record(referral.ads_context_data) ?? null,
    refererUri: str(referral.referer_uri),
  };
}

function sender(
  item: MessagingItem,
): { externalId: string; externalIdKind: ExternalIdKind } | null {
  const from = record(item.sender);
  const psid = str(from?.id);
  if (psid) return { externalId: psid, externalIdKind: 'psid' };
  // Checkbox opt-ins can come with no sender at all, only optin.user_ref.
  const userRef = str(from?.user_ref) ?? str(record(item.optin)?.user_ref);
  return userRef ? { externalId: userRef, externalIdKind: 'user_ref' } : null;
}

/**
 * A `message_deliveries` or `message_reads` item: everything the page sent before `watermark`
 * (milliseconds) was delivered / read. Meta's webhook reference for both events.
 */
function readReceipt(item: MessagingItem): NormalisedItem['receipt'] {
  const delivery = record(item.delivery);
  const read = record(item.read);
  const receipt = read ?? delivery;
  const watermark = typeof receipt?.watermark === 'number' ? receipt.watermark : Number.NaN;
  if (!receipt || !Number.isFinite(watermark) || watermark <= 0) return null;
  const at = new Date(watermark);
  if (Number.isNaN(at.getTime())) return null;
  return { kind: read ? 'read' : 'delivered', watermark: at };
}

/**
 * Maps a Messenger item onto a channel-neutral event. A referral counts wherever Meta put it: a
 * Get Started postback (new thread), `messaging_referrals` (existing thread), a message from an ad,
 * an opt-in, or a chat-plugin referral that may carry no ref at all. `appId` (this app's Meta app id)
 * tells Handover Protocol items about us from those about other apps (see threadControlOf).
 */
export function normalise(item: MessagingItem, appId?: string): NormalisedItem | null {
  const who = sender(item);
  if (!who) return null;
  const message = record(item.message);
  const postback = record(item.postback);
  const optin = record(item.optin);
  const itemReferral = record(item.referral);
  const base = {
    ...who,
    text: null,
    payload: null,
    externalMessageId: null,
    referral: null,
    raw: item,
  };

  if (postback) {
    const referral = record(postback.referral);
    return {
      ...base,
      kind: referral ? 'referral' : 'postback',
      payload: str(postback.payload),
      text: str(postback.title),
      externalMessageId: str(postback.mid),
      referral: referral ? toReferral(referral) : null,
    };
  }
  // An echo repeats what the page said: nothing for the bot to answer.
  if (message?.is_echo === true) return { ...base, kind: 'other' };
  if (message) {
    const referral = record(message.referral);
    const quickReply = record(message.quick_reply);
    const attachments = Array.isArray(message.attachments) && message.attachments.length > 0;
    const kind = referral
      ? 'referral'
      : quickReply
        ? 'quickReply'
        : str(message.text)
          ? 'text'
          : attachments
            ? 'attachment'
            : 'other';
    return {
      ...base,
      kind,
      text: str(message.text),
      payload: str(quickReply?.payload),
      externalMessageId: str(message.mid),
      referral: referral ? toReferral(referral) : null,
    };
  }
  if (itemReferral) return { ...base, kind: 'referral', referral: toReferral(itemReferral) };
  // Marketing-message and one-time-notification opt-ins are subscriptions, not entries.
  if (optin && subscriptionOf(item)) return { ...base, kind: 'other' };
  const receipt = readReceipt(item);
  if (receipt) return { ...base, kind: receipt.kind, receipt };
  if (optin) {
    const referral: InboundReferral = {
      ref: str(optin.ref),
      source: 'OPTIN',
      adId: null,
      adsContext: null,
      refererUri: null,
    };
    return { ...base, kind: 'referral', referral };
  }
  const threadControl = threadControlOf(item, appId);
  if (threadControl) return { ...base, kind: 'threadControl', threadControl };
  return { ...base, kind: 'other' };
}
