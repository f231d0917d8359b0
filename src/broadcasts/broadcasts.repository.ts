import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { type Receipt } from '../conversations';
import { prepared } from '../database';
import { type Broadcast, type BroadcastStatus } from './entities/broadcast.entity';
import { type RecipientStatus } from './entities/broadcast-recipient.entity';

/**
 * The rows of an UPDATE ... RETURNING: TypeORM's postgres driver answers those with
 * `[rows, affectedCount]`, not with the rows alone.
 */
async function returning<T>(manager: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result = await manager.query<[T[], number] | T[]>(sql, params);
  return result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number'
    ? result[0]
    : (result as T[]);
}

/** Recipients per status, and of those sent, how many Meta's watermarks say were delivered / read. */
export type BroadcastCounts = Record<RecipientStatus, number> & {
  total: number;
  delivered: number;
  read: number;
};

/** A recipient's final or retry state after a send, written for many at once. */
export interface RecipientUpdate {
  contactId: string;
  status: RecipientStatus;
  reason: string | null;
  errorCode: number | null;
  errorSubcode: number | null;
  errorMessage: string | null;
  sentAs: string | null;
  /** For a retry: when to try next (attempts go up by one). */
  nextAttemptAt: Date | null;
  /** For a send: when it started (receipts' watermarks are compared with it). */
  sentAt: Date | null;
}

export interface PendingRecipient {
  /** The recipient row's id (bigint as text): passes over the pending recipients go in its order. */
  id: string;
  contactId: string;
  attempts: number;
}

const BROADCAST_COLUMNS = `id, bot_id AS "botId", name, audience, content, send_at AS "sendAt",
  message_tag AS "messageTag", notification_topic AS "notificationTopic", status,
  materialised_after AS "materialisedAfter", materialised, created_at AS "createdAt",
  updated_at AS "updatedAt", completed_at AS "completedAt"`;

/** The SQL of broadcasts and their recipients; every query names the bot or the broadcast id. */
@Injectable()
export class BroadcastsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async insert(
    broadcast: Omit<
      Broadcast,
      'id' | 'createdAt' | 'updatedAt' | 'completedAt' | 'materialisedAfter' | 'materialised'
    >,
  ): Promise<Broadcast> {
    const [row] = await this.manager.query<Broadcast[]>(
      `INSERT INTO broadcasts (bot_id, name, audience, content, send_at, message_tag, notification_topic, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${BROADCAST_COLUMNS}`,
      [
        broadcast.botId,
        broadcast.name,
        JSON.stringify(broadcast.audience),
        JSON.stringify(broadcast.content),
        broadcast.sendAt,
        broadcast.messageTag,
        broadcast.notificationTopic,
        broadcast.status,
      ],
    );
    return row;
  }

  /** The broadcast; with `botId`, only when it is that bot's. */
  async find(id: string, botId?: string): Promise<Broadcast | null> {
    const rows = await this.manager.query<Broadcast[]>(
      `SELECT ${BROADCAST_COLUMNS} FROM broadcasts WHERE id = $1 AND ($2::uuid IS NULL OR bot_id = $2)`,
      [id, botId ?? null],
    );
    return rows[0] ?? null;
  }

  /** Newest first, keyset after `cursor`; one more than `limit` so the caller knows of a next page. */
  list(botId: string, cursor: CreatedCursor | null, limit: number): Promise<Broadcast[]> {
    return this.manager.query<Broadcast[]>(
      `SELECT ${BROADCAST_COLUMNS} FROM broadcasts
        WHERE bot_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [botId, cursor?.createdAt ?? null, cursor?.id ?? null, limit + 1],
    );
  }

  /** Moves the broadcast from one of `from` to `to`; false when it was in none of them. */
  async transition(
    botId: string,
    id: string,
    from: BroadcastStatus[],
    to: BroadcastStatus,
  ): Promise<boolean> {
    const rows = await returning<{ id: string }>(
      this.manager,
      `UPDATE broadcasts SET status = $4::varchar, updated_at = now(),
              completed_at = CASE WHEN $4::varchar IN ('completed', 'cancelled', 'failed') THEN now() ELSE completed_at END
        WHERE id = $2 AND bot_id = $1 AND status = ANY($3::varchar[]) RETURNING id`,
      [botId, id, from, to],
    );
    return rows.length > 0;
  }

  /** Cancelling: recipients still pending are skipped as CANCELLED. */
  async skipPending(broadcastId: string, reason: string): Promise<void> {
    await this.manager.query(
      `UPDATE broadcast_recipients SET status = 'skipped', reason = $2, updated_at = now()
        WHERE broadcast_id = $1 AND status = 'pending'`,
      [broadcastId, reason],
    );
  }

  /** Counts by status per broadcast, and delivered / read, in one statement. */
  async counts(broadcastIds: string[]): Promise<Map<string, BroadcastCounts>> {
    const rows = await this.manager.query<
      { id: string; status: RecipientStatus; n: string; delivered: string; read: string }[]
    >(
      `SELECT broadcast_id AS id, status, count(*) AS n, count(delivered_at) AS delivered,
              count(read_at) AS read
         FROM broadcast_recipients
        WHERE broadcast_id = ANY($1::uuid[]) GROUP BY broadcast_id, status`,
      [broadcastIds],
    );
    const result = new Map<string, BroadcastCounts>(
      broadcastIds.map((id) => [
        id,
        { total: 0, pending: 0, sent: 0, failed: 0, skipped: 0, delivered: 0, read: 0 },
      ]),
    );
    for (const row of rows) {
      const counts = result.get(row.id)!;
      counts[row.status] = Number(row.n);
      counts.total += Number(row.n);
      counts.delivered += Number(row.delivered);
      counts.read += Number(row.read);
    }
    return result;
  }

  /**
   * Receipts, in the inbound transaction: every sent recipient of the contact whose send started
   * at or before the watermark is delivered (a read watermark: read, and delivered if it was not
   * yet). Only the latest receipt of each kind per contact counts: watermarks only grow.
   */
  async recordReceipts(receipts: Receipt[], tx: EntityManager): Promise<void> {
    for (const kind of ['delivered', 'read'] as const) {
      const latest = new Map<string, Receipt>();
      for (const receipt of receipts) {
        if (receipt.kind !== kind) continue;
        const known = latest.get(receipt.contactId);
        if (!known || receipt.watermark > known.watermark) latest.set(receipt.contactId, receipt);
      }
      if (latest.size === 0) continue;
      const items = [...latest.values()];
      await prepared(
        tx,
        `broadcast_receipts_${kind}`,
        `UPDATE broadcast_recipients r
            SET ${kind === 'read' ? 'read_at = w.at, delivered_at = COALESCE(r.delivered_at, w.at)' : 'delivered_at = w.at'}
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)
          WHERE r.contact_id = w.contact_id AND r.bot_id = w.bot_id AND r.status = 'sent'
            AND r.${kind === 'read' ? 'read_at' : 'delivered_at'} IS NULL AND r.sent_at <= w.at`,
        [items.map((r) => r.botId), items.map((r) => r.contactId), items.map((r) => r.watermark)],
      );
    }
  }

  /**
   * Stores one chunk of the audience as pending recipients and moves the broadcast's keyset
   * position, in one statement: a run killed between chunks resumes after the last one stored.
   * `next` null marks the audience done.
   */
  async materialise(
    broadcast: Broadcast,
    contactIds: string[],
    next: string | null,
  ): Promise<void> {
    await prepared(
      this.manager,
      'broadcast_materialise',
      `WITH added AS (
         INSERT INTO broadcast_recipients (broadcast_id, bot_id, contact_id, status)
         SELECT $1, $2, id, 'pending' FROM unnest($3::uuid[]) AS c(id)
         ON CONFLICT (broadcast_id, contact_id) DO NOTHING
       )
       UPDATE broadcasts SET materialised_after = COALESCE($4::uuid, materialised_after),
              materialised = $4::uuid IS NULL, updated_at = now()
        WHERE id = $1`,
      [broadcast.id, broadcast.botId, contactIds, next],
    );
  }

  /** The next pending recipients due for an attempt after recipient `afterId`, in id order. */
  async duePending(
    broadcastId: string,
    afterId: string,
    limit: number,
  ): Promise<PendingRecipient[]> {
    return prepared<PendingRecipient[]>(
      this.manager,
      'broadcast_due_pending_after',
      `SELECT id::text, contact_id AS "contactId", attempts FROM broadcast_recipients
        WHERE broadcast_id = $1 AND status = 'pending' AND id > $2::bigint
          AND (next_attempt_at IS NULL OR next_attempt_at <= now())
        ORDER BY id LIMIT $3`,
      [broadcastId, afterId, limit],
    );
  }

  /** When the next pending recipient waiting on a retry is due; null when none is pending. */
  async nextRetryAt(broadcastId: string): Promise<Date | null> {
    const [row] = await this.manager.query<{ at: Date | null; n: string }[]>(
      `SELECT min(next_attempt_at) AS at, count(*) AS n FROM broadcast_recipients
        WHERE broadcast_id = $1 AND status = 'pending'`,
      [broadcastId],
    );
    return Number(row.n) === 0 ? null : (row.at ?? new Date());
  }

  /** Writes how each recipient went; a retry counts an attempt and waits until `nextAttemptAt`. */
  async update(broadcastId: string, updates: RecipientUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    await prepared(
      this.manager,
      'broadcast_recipients_update',
      `UPDATE broadcast_recipients r
          SET status = u.status, reason = u.reason, error_code = u.error_code, error_subcode = u.error_subcode,
              error_message = u.error_message, sent_as = COALESCE(u.sent_as, r.sent_as),
              attempts = r.attempts + CASE WHEN u.status = 'skipped' THEN 0 ELSE 1 END,
              next_attempt_at = u.next_attempt_at, sent_at = COALESCE(u.sent_at, r.sent_at), updated_at = now()
         FROM unnest($2::uuid[], $3::varchar[], $4::varchar[], $5::int[], $6::int[], $7::text[], $8::varchar[], $9::timestamptz[], $10::timestamptz[])
              AS u(contact_id, status, reason, error_code, error_subcode, error_message, sent_as, next_attempt_at, sent_at)
        WHERE r.broadcast_id = $1 AND r.contact_id = u.contact_id AND r.status = 'pending'`,
      [
        broadcastId,
        updates.map((u) => u.contactId),
        updates.map((u) => u.status),
        updates.map((u) => u.reason),
        updates.map((u) => u.errorCode),
        updates.map((u) => u.errorSubcode),
        updates.map((u) => u.errorMessage?.slice(0, 2000) ?? null),
        updates.map((u) => u.sentAs),
        updates.map((u) => u.nextAttemptAt),
        updates.map((u) => u.sentAt),
      ],
    );
  }

  /** Completes a sending broadcast with nobody pending; false when someone still is. */
  async completeIfDone(broadcastId: string): Promise<boolean> {
    const rows = await returning<{ id: string }>(
      this.manager,
      `UPDATE broadcasts SET status = 'completed', completed_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'sending' AND materialised
          AND NOT EXISTS (SELECT 1 FROM broadcast_recipients WHERE broadcast_id = $1 AND status = 'pending')
        RETURNING id`,
      [broadcastId],
    );
    return rows.length > 0;
  }

  async status(broadcastId: string): Promise<BroadcastStatus | null> {
    const [row] = await prepared<{ status: BroadcastStatus }[]>(
      this.manager,
      'broadcast_status',
      `SELECT status FROM broadcasts WHERE id = $1`,
      [broadcastId],
    );
    return row?.status ?? null;
  }

  /** Contacts among `contactIds` a send found unavailable for good. */
  async unreachable(botId: string, contactIds: string[]): Promise<Set<string>> {
    const rows = await prepared<{ id: string }[]>(
      this.manager,
      'broadcast_unreachable',
      `SELECT contact_id AS id FROM broadcast_unreachable_contacts
        WHERE bot_id = $1 AND contact_id = ANY($2::uuid[])`,
      [botId, contactIds],
    );
    return new Set(rows.map((row) => row.id));
  }

  async markUnreachable(
    botId: string,
    found: { contactId: string; code: number; subcode: number | null }[],
  ): Promise<void> {
    if (found.length === 0) return;
    await this.manager.query(
      `INSERT INTO broadcast_unreachable_contacts (contact_id, bot_id, error_code, error_subcode)
       SELECT contact_id, $1, code, subcode FROM unnest($2::uuid[], $3::int[], $4::int[]) AS u(contact_id, code, subcode)
       ON CONFLICT (contact_id) DO NOTHING`,
      [botId, found.map((f) => f.contactId), found.map((f) => f.code), found.map((f) => f.subcode)],
    );
  }

  /** Scheduled broadcasts whose time has come, moved to `sending`; their ids. */
  async startDue(): Promise<string[]> {
    const rows = await returning<{ id: string }>(
      this.manager,
      `UPDATE broadcasts SET status = 'sending', updated_at = now()
        WHERE status = 'scheduled' AND send_at <= now() RETURNING id`,
      [],
    );
    return rows.map((row) => row.id);
  }

  /** Every broadcast in `sending`, for the driver to make sure each has its run queued. */
  async sendingIds(limit: number): Promise<string[]> {
    const rows = await this.manager.query<{ id: string }[]>(
      `SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }

  /** One page of recipients, by id, optionally of one status. */
  recipients(
    broadcastId: string,
    status: RecipientStatus | undefined,
    afterId: string | null,
    limit: number,
  ): Promise<RecipientRow[]> {
    return this.manager.query<RecipientRow[]>(
      `SELECT id::text, contact_id AS "contactId", status, reason, error_code AS "errorCode",
              error_subcode AS "errorSubcode", error_message AS "errorMessage", sent_as AS "sentAs",
              attempts, updated_at AS "updatedAt"
         FROM broadcast_recipients
        WHERE broadcast_id = $1 AND ($2::varchar IS NULL OR status = $2) AND ($3::bigint IS NULL OR id > $3)
        ORDER BY id LIMIT $4`,
      [broadcastId, status ?? null, afterId, limit + 1],
    );
  }
}

export interface RecipientRow {
  id: string;
  contactId: string;
  status: RecipientStatus;
  reason: string | null;
  errorCode: number | null;
  errorSubcode: number | null;
  errorMessage: string | null;
  sentAs: string | null;
  attempts: number;
  updatedAt: Date;
}
