import { SUBSCRIPTION_TYPES, type SubscriptionEvent, type SubscriptionType } from '../../contacts';
import { type InboundThreadControl } from '../../conversations';
import { toEpochMs } from '../intake/classify';
import { type MessagingItem } from '../intake/envelope';

/**
 * Messenger items that are not something the person said to the bot but a fact about the thread:
 * marketing-message opt-ins, the checkbox plugin's identity link, and the Handover Protocol. Field
 * names are Meta's (Messenger Platform webhook reference: messaging_optins, messages'
 * prior_message, messaging_handovers).
 */

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function str(value: unknown, max: number): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value).slice(0, max);
  return typeof value === 'string' && value.length > 0 ? value.slice(0, max) : null;
}

/** What an opt-in says about a subscription, before the bot and contact are known. */
export type SubscriptionOptin = Omit<
  SubscriptionEvent,
  'botId' | 'contactId' | 'channel' | 'occurredAt'
>;

/**
 * The subscription an `optin` of type `notification_messages` (recurring marketing messages:
 * `notification_messages_token`, `_status` STOP_NOTIFICATIONS / RESUME_NOTIFICATIONS, `_frequency`,
 * `_timezone`, `token_expiry_timestamp`, `user_token_status`, `payload`, `title`) or
 * `one_time_notif_req` (`one_time_notif_token`, `payload`) reports; null for any other item. These
 * are subscriptions, never link entries, and are never answered.
 */
export function subscriptionOf(item: MessagingItem): SubscriptionOptin | null {
  const optin = record(item.optin);
  const type = optin?.type;
  if (!optin || !SUBSCRIPTION_TYPES.includes(type as SubscriptionType)) return null;
  const oneTime = type === 'one_time_notif_req';
  const expiry = toEpochMs(optin.token_expiry_timestamp);
  return {
    type: type as SubscriptionType,
    topic: str(optin.payload, 1000),
    title: str(optin.title, 255),
    token: str(oneTime ? optin.one_time_notif_token : optin.notification_messages_token, 10_000),
    status: optin.notification_messages_status === 'STOP_NOTIFICATIONS' ? 'stopped' : 'active',
    frequency: str(optin.notification_messages_frequency, 20),
    timezone: str(optin.notification_messages_timezone, 64),
    tokenExpiresAt: expiry === null ? null : new Date(expiry),
    userTokenStatus: str(optin.user_token_status, 40),
  };
}

/**
 * The checkbox plugin's user_ref this message's sender was known by: Meta marks the first message
 * after a checkbox opt-in with `prior_message: { source: "checkbox_plugin", identifier: <user_ref> }`
 * (at item level; also read inside `message`). Null for anything else.
 */
export function checkboxUserRefOf(item: MessagingItem): string | null {
  const prior = record(item.prior_message) ?? record(record(item.message)?.prior_message);
  return prior?.source === 'checkbox_plugin' ? str(prior.identifier, 255) : null;
}

/**
 * The change of thread owner a Handover Protocol item reports, seen from this app (`appId`, or
 * undefined when not configured):
 * - `pass_thread_control` (`new_owner_app_id`, `metadata`): passed to us ends a handover; passed to
 *   another app starts one. Meta delivers it to the new owner, so without `appId` it ends one.
 * - `take_thread_control` (`previous_owner_app_id`, `metadata`): another app took the thread from
 *   us: a handover starts (unless `new_owner_app_id` names us).
 * - `request_thread_control` (`requested_owner_app_id`, `metadata`): recorded only.
 * Null for other items.
 */
export function threadControlOf(
  item: MessagingItem,
  appId: string | undefined,
): InboundThreadControl | null {
  const pass = record(item.pass_thread_control);
  if (pass) {
    const owner = str(pass.new_owner_app_id, 32);
    const ours = appId === undefined || owner === appId;
    return {
      change: ours ? 'ended' : 'started',
      appId: owner,
      metadata: str(pass.metadata, 500),
    };
  }
  const take = record(item.take_thread_control);
  if (take) {
    const owner = str(take.new_owner_app_id, 32);
    const ours = appId !== undefined && owner === appId;
    return {
      change: ours ? 'ended' : 'started',
      appId: ours
        ? str(take.previous_owner_app_id, 32)
        : (owner ?? str(take.previous_owner_app_id, 32)),
      metadata: str(take.metadata, 500),
    };
  }
  const request = record(item.request_thread_control);
  if (request) {
    return {
      change: 'requested',
      appId: str(request.requested_owner_app_id, 32),
      metadata: str(request.metadata, 500),
    };
  }
  return null;
}
