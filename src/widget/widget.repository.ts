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

  /**
   * The session of this bot with this token hash, or null. Its last-seen time is moved forward at
   * most once a minute: every Chat API call reads the session, and a row rewritten on each one
   * (100 calls a second in the bench) is write load for a figure kept to the minute.
   */
  async touchSession(botId: string, tokenHash: string): Promise<SessionRow | null> {
    const [row] = await prepared<SessionRow[]>(
      this.dataSource.manager,
      'widget_session_touch',
      `WITH found AS (
         SELECT id, bot_id, visitor_id, last_seen_at FROM widget_sessions
          WHERE token_hash = $2 AND bot_id = $1
       ),
       touched AS (
         UPDATE widget_sessions s SET last_seen_at = now() FROM found
          WHERE s.id = found.id AND found.last_seen_at < now() - interval '1 minute'
       )
       SELECT id, bot_id AS "botId", visitor_id AS "visitorId" FROM found`,
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
   * Stores a message for the visitor. Inserts for one visitor take turns (an advisory lock held to
   * commit, taken before the id is drawn), so a visitor's message ids become visible in increasing
   * order: a reader that saw id n has seen every earlier one, which is what lets a cursor
   * (Last-Event-ID, polling) never skip. `prevId` is the visitor's message before this one, so a
   * stream can tell it missed one. It must be exact, so it is read by a statement that starts
   * after the lock is held: lock and insert in one statement would read it from a snapshot taken
   * before waiting on the lock, too old, and a stream would take a message for the next one when
   * one came between (measured: 1 in 300 visitors lost a reply that way).
   */
  async insertMessage(
    botId: string,
    visitorId: string,
    payload: Record<string, unknown>,
  ): Promise<PublishedWidgetMessage> {
    return this.dataSource.transaction(async (tx) => {
      await prepared(
        tx,
        'widget_message_lock',
        `SELECT pg_advisory_xact_lock(
                  ${VISITOR_LOCK_CLASS}, hashtext($1::uuid::text || '|' || $2::varchar))`,
        [botId, visitorId],
      );
      const [row] = await prepared<(StoredWidgetMessage & { prevId: string })[]>(
        tx,
        'widget_message_insert',
        `INSERT INTO widget_messages (bot_id, visitor_id, payload) VALUES ($1, $2, $3)
         RETURNING id::text AS id, payload AS message, to_json(sent_at)#>>'{}' AS "sentAt",
           (SELECT COALESCE(max(p.id), 0)::text FROM widget_messages p
             WHERE p.bot_id = $1 AND p.visitor_id = $2 AND p.id < widget_messages.id) AS "prevId"`,
        [botId, visitorId, JSON.stringify(payload)],
      );
      const { prevId, ...message } = row;
      return { message, prevId };
    });
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
