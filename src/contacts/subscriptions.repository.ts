import { type EntityManager } from 'typeorm';
import { prepared } from '../database';
import { type SubscriptionEvent } from './contacts.service';
import {
  type SubscriptionStatus,
  type SubscriptionType,
} from './entities/contact-subscription.entity';
import { type Channel } from './entities/contact.entity';

/** A stored subscription as the repository reads it: the token still encrypted. */
export interface SubscriptionRow {
  id: string;
  contactId: string;
  channel: Channel;
  type: SubscriptionType;
  topic: string;
  title: string | null;
  status: SubscriptionStatus;
  frequency: string | null;
  timezone: string | null;
  tokenExpiresAt: Date | null;
  userTokenStatus: string | null;
  statusChangedAt: Date;
  createdAt: Date;
  tokenEncrypted: string;
}

/** An opt-in event as stored: its topic known, the token encrypted and hashed by the caller. */
export type SubscriptionWrite = Omit<SubscriptionEvent, 'topic' | 'token'> & {
  topic: string;
  tokenEncrypted: string;
  tokenHash: string;
};

const COLUMNS = `id, contact_id AS "contactId", channel, type, topic, title, status, frequency, timezone,
  token_expires_at AS "tokenExpiresAt", user_token_status AS "userTokenStatus",
  status_changed_at AS "statusChangedAt", created_at AS "createdAt", token_encrypted AS "tokenEncrypted"`;

/**
 * Inserts or replaces the subscription of (contact, type, topic). An event older than the one that
 * set the current status changes nothing, so a late redelivery of an opt-in cannot undo a STOP.
 */
export async function upsertSubscription(tx: EntityManager, s: SubscriptionWrite): Promise<void> {
  await prepared(
    tx,
    'contact_subscription_upsert',
    `INSERT INTO contact_subscriptions (bot_id, contact_id, channel, type, topic, title, token_encrypted,
        token_hash, status, frequency, timezone, token_expires_at, user_token_status, status_changed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (contact_id, type, topic) DO UPDATE
       SET title = COALESCE(EXCLUDED.title, contact_subscriptions.title),
           token_encrypted = EXCLUDED.token_encrypted, token_hash = EXCLUDED.token_hash,
           status = EXCLUDED.status,
           frequency = COALESCE(EXCLUDED.frequency, contact_subscriptions.frequency),
           timezone = COALESCE(EXCLUDED.timezone, contact_subscriptions.timezone),
           token_expires_at = COALESCE(EXCLUDED.token_expires_at, contact_subscriptions.token_expires_at),
           user_token_status = COALESCE(EXCLUDED.user_token_status, contact_subscriptions.user_token_status),
           status_changed_at = EXCLUDED.status_changed_at, updated_at = now()
       WHERE contact_subscriptions.status_changed_at <= EXCLUDED.status_changed_at`,
    [
      s.botId,
      s.contactId,
      s.channel,
      s.type,
      s.topic,
      s.title,
      s.tokenEncrypted,
      s.tokenHash,
      s.status,
      s.frequency,
      s.timezone,
      s.tokenExpiresAt,
      s.userTokenStatus,
      s.occurredAt,
    ],
  );
}

/**
 * Sets the status of the subscription of (contact, type, topic), for an event that carries no
 * token (a STOP or RESUME). Like `upsertSubscription`, an event older than the one that set the
 * current status changes nothing.
 */
export async function setSubscriptionStatus(
  tx: EntityManager,
  s: Pick<SubscriptionEvent, 'botId' | 'contactId' | 'type' | 'status' | 'occurredAt'> & {
    topic: string;
  },
): Promise<void> {
  await tx.query(
    `UPDATE contact_subscriptions SET status = $5, status_changed_at = $6, updated_at = now()
      WHERE bot_id = $1 AND contact_id = $2 AND type = $3 AND topic = $4 AND status_changed_at <= $6`,
    [s.botId, s.contactId, s.type, s.topic, s.status, s.occurredAt],
  );
}

/** The topic a token was issued for, when Meta names only the token (a STOP without payload). */
export async function topicOfToken(
  tx: EntityManager,
  botId: string,
  contactId: string,
  tokenHash: string,
): Promise<string | null> {
  const rows = await tx.query<{ topic: string }[]>(
    `SELECT topic FROM contact_subscriptions WHERE bot_id = $1 AND contact_id = $2 AND token_hash = $3
      ORDER BY status_changed_at DESC LIMIT 1`,
    [botId, contactId, tokenHash],
  );
  return rows[0]?.topic ?? null;
}

/** Every subscription of a contact, oldest first; tokens still encrypted. */
export async function subscriptionsOf(
  manager: EntityManager,
  botId: string,
  contactId: string,
): Promise<SubscriptionRow[]> {
  return manager.query<SubscriptionRow[]>(
    `SELECT ${COLUMNS} FROM contact_subscriptions WHERE bot_id = $1 AND contact_id = $2
      ORDER BY created_at, id`,
    [botId, contactId],
  );
}

/** The active, unexpired subscription of (contact, type, topic), or null. */
export async function activeSubscription(
  manager: EntityManager,
  botId: string,
  contactId: string,
  type: SubscriptionType,
  topic: string,
  now: Date,
): Promise<SubscriptionRow | null> {
  const rows = await manager.query<SubscriptionRow[]>(
    `SELECT ${COLUMNS} FROM contact_subscriptions
      WHERE bot_id = $1 AND contact_id = $2 AND type = $3 AND topic = $4 AND status = 'active'
        AND (token_expires_at IS NULL OR token_expires_at > $5)`,
    [botId, contactId, type, topic, now],
  );
  return rows[0] ?? null;
}

/** Where a contact's subscription to a topic stands for sending: see ContactsService.notificationStates. */
export type NotificationState = 'active' | 'stopped' | 'expired';

/** The state of each listed contact's subscription of `type` to `topic`; contacts without one left out. */
export async function notificationStates(
  manager: EntityManager,
  botId: string,
  contactIds: string[],
  type: SubscriptionType,
  topic: string,
  now: Date,
): Promise<Map<string, NotificationState>> {
  const rows = await prepared<{ contactId: string; state: NotificationState }[]>(
    manager,
    'subscriptions_states',
    `SELECT contact_id AS "contactId",
            CASE WHEN status <> 'active' THEN 'stopped'
                 WHEN token_expires_at IS NOT NULL AND token_expires_at <= $5 THEN 'expired'
                 ELSE 'active' END AS state
       FROM contact_subscriptions
      WHERE bot_id = $1 AND contact_id = ANY($2::uuid[]) AND type = $3 AND topic = $4`,
    [botId, contactIds, type, topic, now],
  );
  return new Map(rows.map((row) => [row.contactId, row.state]));
}
