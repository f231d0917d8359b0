import { createHmac, randomBytes } from 'node:crypto';

/**
 * Webhook deliveries in the shapes Meta sends (per its webhook reference), so tests exercise the
 * parser with what production sees rather than with what the parser expects.
 */

export type Timestamp = number | string;

export type Sender = { id: string } | { user_ref: string };

export interface MessagingItem {
  sender?: Sender;
  recipient: { id: string };
  timestamp: Timestamp;
  [event: string]: unknown;
}

export interface EntrySpec {
  pageId: string;
  time?: number;
  messaging?: MessagingItem[];
  standby?: MessagingItem[];
}

export interface Entry {
  id: string;
  time: number;
  messaging?: MessagingItem[];
  standby?: MessagingItem[];
}

export interface Envelope {
  object: 'page';
  entry: Entry[];
}

interface ItemBase {
  pageId: string;
  timestamp?: Timestamp;
}

interface UserItem extends ItemBase {
  psid: string;
}

export function envelope(entries: EntrySpec[]): Envelope {
  return {
    object: 'page',
    entry: entries.map((spec) => ({
      id: spec.pageId,
      time: spec.time ?? Date.now(),
      ...(spec.messaging && { messaging: spec.messaging }),
      ...(spec.standby && { standby: spec.standby }),
    })),
  };
}

/** One entry for one page; `standby` puts the items where Meta sends them for a passive app. */
export function delivery(
  pageId: string,
  items: MessagingItem[],
  { standby = false, time }: { standby?: boolean; time?: number } = {},
): Envelope {
  return envelope([
    standby ? { pageId, time, standby: items } : { pageId, time, messaging: items },
  ]);
}

export function newMid(): string {
  return `m_${randomBytes(12).toString('base64url')}`;
}

/** Some deliveries carry seconds instead of milliseconds. */
export function inSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Some deliveries carry the timestamp as a string. */
export function asString(value: number | string): string {
  return String(value);
}

function fromUser(psid: string, pageId: string, timestamp: Timestamp | undefined) {
  return { sender: { id: psid }, recipient: { id: pageId }, timestamp: timestamp ?? Date.now() };
}

/** First contact through an m.me link: the ref rides on the Get Started postback. */
export function getStartedWithRef(
  options: UserItem & { ref: string; source?: string; payload?: string; mid?: string },
): MessagingItem {
  const { pageId, psid, timestamp, ref, source = 'SHORTLINK', payload = 'GET_STARTED' } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    postback: {
      title: 'Get Started',
      payload,
      mid: options.mid ?? newMid(),
      referral: { ref, source, type: 'OPEN_THREAD' },
    },
  };
}

export function getStarted(options: UserItem & { payload?: string; mid?: string }): MessagingItem {
  const { pageId, psid, timestamp, payload = 'GET_STARTED' } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    postback: { title: 'Get Started', payload, mid: options.mid ?? newMid() },
  };
}

/** A returning user opening an m.me link: `messaging_referrals`, referral at item level. */
export function referral(options: UserItem & { ref: string; source?: string }): MessagingItem {
  const { pageId, psid, timestamp, ref, source = 'SHORTLINK' } = options;
  return { ...fromUser(psid, pageId, timestamp), referral: { ref, source, type: 'OPEN_THREAD' } };
}

export interface AdsContext {
  ad_title: string;
  photo_url?: string;
  video_url?: string;
  post_id?: string;
  product_id?: string;
  flow_id?: string;
}

/** The first message after a Click-to-Messenger ad. */
export function adReferralMessage(
  options: UserItem & {
    ref?: string;
    adId: string;
    text: string;
    adsContext: AdsContext;
    mid?: string;
  },
): MessagingItem {
  const { pageId, psid, timestamp, ref, adId, text, adsContext } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    message: {
      mid: options.mid ?? newMid(),
      text,
      referral: {
        ...(ref !== undefined && { ref }),
        ad_id: adId,
        source: 'ADS',
        type: 'OPEN_THREAD',
        ads_context_data: withoutUndefined(adsContext),
      },
    },
  };
}

/**
 * Send-to-Messenger (`psid`) or checkbox plugin (`userRef`). The checkbox plugin knows no PSID, so
 * the sender is `{ user_ref }`; `omitSender` reproduces deliveries that carry no sender at all.
 */
export function optin(
  options: ItemBase & { psid?: string; userRef?: string; ref: string; omitSender?: boolean },
): MessagingItem {
  const { pageId, psid, userRef, ref, timestamp, omitSender = false } = options;
  let sender: Sender;
  if (psid !== undefined) sender = { id: psid };
  else if (userRef !== undefined) sender = { user_ref: userRef };
  else throw new Error('optin() needs a psid or a userRef');
  return {
    ...(!omitSender && { sender }),
    recipient: { id: pageId },
    timestamp: timestamp ?? Date.now(),
    optin: { ref, ...(userRef !== undefined && { user_ref: userRef }) },
  };
}

/** Legacy customer chat plugin: sender is a `user_ref`, and the ref may be missing altogether. */
export function chatPluginReferral(
  options: ItemBase & { userRef: string; ref?: string; refererUri: string },
): MessagingItem {
  const { pageId, userRef, ref, refererUri, timestamp } = options;
  return {
    sender: { user_ref: userRef },
    recipient: { id: pageId },
    timestamp: timestamp ?? Date.now(),
    referral: {
      ...(ref !== undefined && { ref }),
      source: 'CUSTOMER_CHAT_PLUGIN',
      type: 'OPEN_THREAD',
      referer_uri: refererUri,
    },
  };
}

export function textMessage(options: UserItem & { text: string; mid?: string }): MessagingItem {
  const { pageId, psid, timestamp, text } = options;
  return { ...fromUser(psid, pageId, timestamp), message: { mid: options.mid ?? newMid(), text } };
}

export function quickReply(
  options: UserItem & { text: string; payload: string; mid?: string },
): MessagingItem {
  const { pageId, psid, timestamp, text, payload } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    message: { mid: options.mid ?? newMid(), text, quick_reply: { payload } },
  };
}

export function postback(
  options: UserItem & { title: string; payload: string; mid?: string },
): MessagingItem {
  const { pageId, psid, timestamp, title, payload } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    postback: { title, payload, mid: options.mid ?? newMid() },
  };
}

/** `watermark` defaults to the item's timestamp: everything sent before it was delivered. */
export function deliveryReceipt(
  options: UserItem & { mids: string[]; watermark?: number },
): MessagingItem {
  const { pageId, psid, mids } = options;
  const timestamp = options.timestamp ?? Date.now();
  return {
    ...fromUser(psid, pageId, timestamp),
    delivery: { mids, watermark: options.watermark ?? Number(timestamp) },
  };
}

export function readReceipt(options: UserItem & { watermark: number }): MessagingItem {
  const { pageId, psid, timestamp, watermark } = options;
  return { ...fromUser(psid, pageId, timestamp), read: { watermark } };
}

/** A copy of what the page sent, so sender and recipient are swapped. */
export function echo(
  options: UserItem & { text: string; mid?: string; appId?: string },
): MessagingItem {
  const { pageId, psid, timestamp, text, appId } = options;
  return {
    sender: { id: pageId },
    recipient: { id: psid },
    timestamp: timestamp ?? Date.now(),
    message: {
      is_echo: true,
      ...(appId !== undefined && { app_id: appId }),
      mid: options.mid ?? newMid(),
      text,
    },
  };
}

/** Handover Protocol: the thread was passed to `newOwnerAppId` (delivered to the new owner). */
export function passThreadControl(
  options: UserItem & { newOwnerAppId: string; previousOwnerAppId?: string; metadata?: string },
): MessagingItem {
  const { pageId, psid, timestamp, newOwnerAppId, previousOwnerAppId, metadata } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    pass_thread_control: {
      new_owner_app_id: newOwnerAppId,
      ...(previousOwnerAppId !== undefined && { previous_owner_app_id: previousOwnerAppId }),
      ...(metadata !== undefined && { metadata }),
    },
  };
}

/** Handover Protocol: another app (`newOwnerAppId`) took the thread from `previousOwnerAppId`. */
export function takeThreadControl(
  options: UserItem & { previousOwnerAppId: string; newOwnerAppId?: string; metadata?: string },
): MessagingItem {
  const { pageId, psid, timestamp, previousOwnerAppId, newOwnerAppId, metadata } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    take_thread_control: {
      previous_owner_app_id: previousOwnerAppId,
      ...(newOwnerAppId !== undefined && { new_owner_app_id: newOwnerAppId }),
      ...(metadata !== undefined && { metadata }),
    },
  };
}

/** Handover Protocol: another app asks the thread owner for the thread (Meta sends the id as a number). */
export function requestThreadControl(
  options: UserItem & { requestedOwnerAppId: number; metadata?: string },
): MessagingItem {
  const { pageId, psid, timestamp, requestedOwnerAppId, metadata } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    request_thread_control: {
      requested_owner_app_id: requestedOwnerAppId,
      ...(metadata !== undefined && { metadata }),
    },
  };
}

/**
 * Marketing messages opt-in (`optin.type: "notification_messages"`): a first opt-in carries the
 * token, frequency, time zone and expiry; STOP / RESUME carry `notification_messages_status`.
 */
export function notificationOptin(
  options: UserItem & {
    token: string;
    topic?: string;
    title?: string;
    status?: 'STOP_NOTIFICATIONS' | 'RESUME_NOTIFICATIONS';
    frequency?: 'DAILY' | 'WEEKLY' | 'MONTHLY';
    timezone?: string;
    expiresAt?: number;
    userTokenStatus?: string;
  },
): MessagingItem {
  const { pageId, psid, timestamp } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    optin: {
      type: 'notification_messages',
      ...(options.topic !== undefined && { payload: options.topic }),
      ...(options.title !== undefined && { title: options.title }),
      notification_messages_token: options.token,
      ...(options.status !== undefined && { notification_messages_status: options.status }),
      ...(options.frequency !== undefined && {
        notification_messages_frequency: options.frequency,
      }),
      ...(options.timezone !== undefined && { notification_messages_timezone: options.timezone }),
      ...(options.expiresAt !== undefined && { token_expiry_timestamp: options.expiresAt }),
      ...(options.userTokenStatus !== undefined && { user_token_status: options.userTokenStatus }),
    },
  };
}

/** One-time notification opt-in (`optin.type: "one_time_notif_req"`). */
export function oneTimeNotifOptin(
  options: UserItem & { token: string; topic: string },
): MessagingItem {
  const { pageId, psid, timestamp, token, topic } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    optin: { type: 'one_time_notif_req', payload: topic, one_time_notif_token: token },
  };
}

/**
 * The first message of a person who opted in through the checkbox plugin: it comes from their PSID
 * and names the opt-in's user_ref in `prior_message`.
 */
export function checkboxReply(
  options: UserItem & { userRef: string; text: string; mid?: string },
): MessagingItem {
  const { pageId, psid, timestamp, userRef, text } = options;
  return {
    ...fromUser(psid, pageId, timestamp),
    prior_message: { source: 'checkbox_plugin', identifier: userRef },
    message: { mid: options.mid ?? newMid(), text },
  };
}

/** `sha256=<hex>`, the `X-Hub-Signature-256` value Meta computes over the bytes it sends. */
export function signBody(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/**
 * JSON as Meta writes it: non-ASCII escaped as `\uXXXX` (astral characters as two escapes), so a
 * receiver that re-serialises instead of hashing the raw body gets a different signature.
 * `escapeSlashes` also writes `/` as `\/`, which Meta does in URLs.
 */
export function toMetaJson(value: unknown, { escapeSlashes = false } = {}): string {
  const json = JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return escapeSlashes ? json.replace(/\//g, '\\/') : json;
}

export interface SignedRequest {
  raw: string;
  headers: { 'content-type': 'application/json'; 'x-hub-signature-256': string };
}

/** A webhook POST ready for `Http.request(..., { raw, headers })`. */
export function signedRequest(
  value: unknown,
  appSecret: string,
  json: { escapeSlashes?: boolean } = {},
): SignedRequest {
  const raw = toMetaJson(value, json);
  return {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signBody(raw, appSecret),
    },
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
