import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { prepared } from '../database';

export interface SessionRow {
  id: string;
  botId: string;
  visitorId: string;
}

/** A message the bot sent to a visitor, as the stream and polling give it. */
export interface StoredWidgetMessage {
  /** Event id and cursor: digits, increasing per visitor in the order they become visible. */
  id: string;
  message: Record<string, unknown>;
  sentAt: string;
}

/** A message as published to streams: with the id of the visitor's message before it ('0': none). */
export interface PublishedWidgetMessage {
  message: StoredWidgetMessage;
  prevId: string;
}

/**
 * First key of the widget's advisory locks (the two-int key space, apart from the one-bigint keys
 * other modules use); the second is a hash of the visitor.
 */
const VISITOR_LOCK_CLASS = 74_215_012;

/** The widget's SQL: its sessions and the messages sent to visitors. */
@Injectable()
export class WidgetRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async createSession(botId: string, visitorId: string, tokenHash: string): Promise<SessionRow> {
    const [row] = await prepared<SessionRow[]>(
      this.dataSource.manager,
      'widget_session_create',
      `INSERT INTO widget_sessions (bot_id, visitor_id, token_hash, last_seen_at)
       VALUES ($1, $2, $3, now())
       RETURNING id, bot_id AS "botId", visitor_id AS "visitorId"`,
      [botId, visitorId, tokenHash],
    );
    return row;
  }

  /** The session of this bot with this token hash, its last-seen time moved forward; or null. */
  async touchSession(botId: string, tokenHash: string): Promise<SessionRow | null> {
    const [row] = await prepared<SessionRow[]>(
      this.dataSource.manager,
      'widget_session_touch',
      // Wrapped in a SELECT: the driver answers a bare UPDATE with [rows, count], not rows.
      `WITH touched AS (
         UPDATE widget_sessions SET last_seen_at = now()
          WHERE token_hash = $2 AND bot_id = $1
          RETURNING id, bot_id AS "botId", visitor_id AS "visitorId"
       )
       SELECT * FROM touched`,
      [botId, tokenHash],
    );
    return row ?? null;
  }

  async setSiteUserId(botId: string, sessionId: string, siteUserId: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE widget_sessions SET site_user_id = $3 WHERE id = $2 AND bot_id = $1',
      [botId, sessionId, siteUserId],
    );
  }

  /**
   * Stores a message for the visitor. Inserts for one visitor take turns (an advisory lock taken
   * before the id is drawn and held to commit), so a visitor's message ids become visible in
   * increasing order: a reader that saw id n has seen every earlier one, which is what lets a
   * cursor (Last-Event-ID, polling) never skip. One statement, one round trip: the lock is taken
   * by the row the INSERT reads from, so the id (the column default) is drawn after it.
   * `prevId` is the visitor's message before this one as this statement's snapshot saw it, so a
   * stream can tell it missed one; after waiting on the lock it may be older than the true one,
   * which only makes a stream re-read Postgres.
   */
  async insertMessage(
    botId: string,
    visitorId: string,
    payload: Record<string, unknown>,
  ): Promise<PublishedWidgetMessage> {
    const [row] = await prepared<(StoredWidgetMessage & { prevId: string })[]>(
      this.dataSource.manager,
      'widget_message_insert',
      `WITH locked AS (
         SELECT pg_advisory_xact_lock(
                  ${VISITOR_LOCK_CLASS}, hashtext($1::uuid::text || '|' || $2::varchar))
       ),
       prev AS (
         SELECT (SELECT COALESCE(max(id), 0) FROM widget_messages
                  WHERE bot_id = $1::uuid AND visitor_id = $2::varchar) AS id
           FROM locked
       )
       INSERT INTO widget_messages (bot_id, visitor_id, payload) SELECT $1::uuid, $2::varchar, $3::jsonb FROM prev
       RETURNING id::text AS id, payload AS message, to_json(sent_at)#>>'{}' AS "sentAt",
                 (SELECT id FROM prev)::text AS "prevId"`,
      [botId, visitorId, JSON.stringify(payload)],
    );
    const { prevId, ...message } = row;
    return { message, prevId };
  }

  /** The newest message id of each (bot, visitor) pair that has any. */
  async lastMessageIds(
    pairs: { botId: string; visitorId: string }[],
  ): Promise<{ botId: string; visitorId: string; id: string }[]> {
    if (pairs.length === 0) return [];
    return prepared(
      this.dataSource.manager,
      'widget_messages_last_many',
      `SELECT v.bot_id AS "botId", v.visitor_id AS "visitorId", last.id
         FROM unnest($1::uuid[], $2::varchar[]) AS v(bot_id, visitor_id)
         CROSS JOIN LATERAL (
           SELECT m.id::text AS id FROM widget_messages m
            WHERE m.bot_id = v.bot_id AND m.visitor_id = v.visitor_id
            ORDER BY m.id DESC LIMIT 1
         ) last`,
      [pairs.map((p) => p.botId), pairs.map((p) => p.visitorId)],
    );
  }

  /** The visitor's messages after `after` (a message id), oldest first, at most `limit`. */
  async messagesAfter(
    botId: string,
    visitorId: string,
    after: string,
    limit: number,
  ): Promise<StoredWidgetMessage[]> {
    return prepared<StoredWidgetMessage[]>(
      this.dataSource.manager,
      'widget_messages_after',
      `SELECT id::text AS id, payload AS message, to_json(sent_at)#>>'{}' AS "sentAt"
         FROM widget_messages
        WHERE bot_id = $1 AND visitor_id = $2 AND id > $3::bigint
        ORDER BY id LIMIT $4`,
      [botId, visitorId, after, limit],
    );
  }

  /**
   * The time a receipt with this watermark stands for: just before the visitor's next message was
   * stored (now when there is none yet), so it covers the watermark message and everything before,
   * as a Messenger watermark does. Null when the id is no message of the visitor.
   */
  async watermarkTime(botId: string, visitorId: string, watermark: string): Promise<Date | null> {
    const [row] = await prepared<{ at: Date }[]>(
      this.dataSource.manager,
      'widget_watermark_time',
      `SELECT LEAST(now(), COALESCE((
                SELECT n.sent_at - interval '1 millisecond' FROM widget_messages n
                 WHERE n.bot_id = $1 AND n.visitor_id = $2 AND n.id > w.id
                 ORDER BY n.id LIMIT 1), now())) AS at
         FROM widget_messages w WHERE w.bot_id = $1 AND w.visitor_id = $2 AND w.id = $3::bigint`,
      [botId, visitorId, watermark],
    );
    return row?.at ?? null;
  }

  /** The id of the visitor's newest message, '0' when there is none. */
  async lastMessageId(botId: string, visitorId: string): Promise<string> {
    const [row] = await prepared<{ id: string }[]>(
      this.dataSource.manager,
      'widget_messages_last',
      `SELECT COALESCE(max(id), 0)::text AS id FROM widget_messages WHERE bot_id = $1 AND visitor_id = $2`,
      [botId, visitorId],
    );
    return row.id;
  }

  /** A message with this exact payload sent to the visitor at or after `since`, if any. */
  async findSent(
    botId: string,
    visitorId: string,
    payload: Record<string, unknown>,
    since: Date,
  ): Promise<string | null> {
    const [row] = await this.dataSource.query<{ id: string }[]>(
      `SELECT id::text AS id FROM widget_messages
        WHERE bot_id = $1 AND visitor_id = $2 AND sent_at >= $3 AND payload = $4::jsonb
        ORDER BY id LIMIT 1`,
      [botId, visitorId, since, JSON.stringify(payload)],
    );
    return row?.id ?? null;
  }
}
