import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type Channel } from '../contacts';
import { prepared } from '../database';
import { type BulkTarget } from './bulk-send.service';
import { type ReplyStatus } from './entities/reply.entity';

/** A keyed reply to store (ids chosen by the caller), with its send options as JSON text. */
export interface BulkReplyRecord {
  replyId: string;
  sourceKey: string;
  botId: string;
  conversationId: string;
  channel: Channel;
  /** ReplySendOptions as JSON text. */
  sendOptions: string;
}

/** A rendered message of a keyed reply, at `position` (0-based) in it; payload as JSON text. */
export interface BulkMessageRecord {
  replyId: string;
  position: number;
  kind: string;
  text: string | null;
  payload: string;
}

/** A keyed reply's status and its first failed (else skipped) message's channel error. */
export interface BulkOutcomeRow {
  id: string;
  status: ReplyStatus;
  code: number | null;
  subcode: number | null;
  message: string | null;
}

/**
 * The statements of bulk sends (BulkSendService): replies keyed by their source (`source_key`),
 * named and prepared, since a broadcast runs them for every contact it reaches.
 */
@Injectable()
export class BulkSendRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The bot's conversations with `contactIds`, with each contact's names (read from `contacts` in
   * the same statement, for rendering). Contacts without a conversation have no row.
   */
  targets(
    botId: string,
    contactIds: string[],
  ): Promise<(Omit<BulkTarget, 'lastInboundAt'> & { lastInboundAt: string })[]> {
    return prepared<(Omit<BulkTarget, 'lastInboundAt'> & { lastInboundAt: string })[]>(
      this.dataSource.manager,
      'bulk_targets',
      `SELECT c.contact_id AS "contactId", c.id AS "conversationId", c.channel,
              c.last_inbound_at AS "lastInboundAt", c.handed_over AS "handedOver",
              k.first_name AS "firstName", k.last_name AS "lastName"
         FROM conversations c JOIN contacts k ON k.id = c.contact_id
        WHERE c.bot_id = $1 AND c.contact_id = ANY($2::uuid[])`,
      [botId, contactIds],
    );
  }

  /**
   * Stores pending keyed replies and their messages, in one statement; a reply whose key is stored
   * already is skipped with its messages (the earlier run's reply and messages are kept).
   */
  async writeReplies(replies: BulkReplyRecord[], messages: BulkMessageRecord[]): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'bulk_replies_write',
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::uuid[], $4::uuid[], $5::varchar[], $6::jsonb[])
                AS i(reply_id, source_key, bot_id, conversation_id, channel, send_options)
       ), reply AS (
         INSERT INTO replies (id, bot_id, conversation_id, channel, status, source_key, send_options)
         SELECT reply_id, bot_id, conversation_id, channel, 'pending', source_key, send_options FROM input
         ON CONFLICT (source_key) WHERE source_key IS NOT NULL DO NOTHING
         RETURNING id
       )
       INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, content_type, text, payload, status, occurred_at)
       SELECT i.bot_id, i.conversation_id, 'out', m.reply_id, m.position, m.kind, m.text, m.payload, 'pending', now()
         FROM unnest($7::uuid[], $8::smallint[], $9::varchar[], $10::text[], $11::jsonb[])
              AS m(reply_id, position, kind, text, payload)
         JOIN reply r ON r.id = m.reply_id
         JOIN input i ON i.reply_id = m.reply_id`,
      [
        replies.map((r) => r.replyId),
        replies.map((r) => r.sourceKey),
        replies.map((r) => r.botId),
        replies.map((r) => r.conversationId),
        replies.map((r) => r.channel),
        replies.map((r) => r.sendOptions),
        messages.map((m) => m.replyId),
        messages.map((m) => m.position),
        messages.map((m) => m.kind),
        messages.map((m) => m.text),
        messages.map((m) => m.payload),
      ],
    );
  }

  /** The stored replies of `sourceKeys` (whichever run stored them), by key. */
  repliesByKey(sourceKeys: string[]): Promise<{ id: string; sourceKey: string }[]> {
    return prepared<{ id: string; sourceKey: string }[]>(
      this.dataSource.manager,
      'bulk_replies_by_key',
      `SELECT id, source_key AS "sourceKey" FROM replies WHERE source_key = ANY($1::varchar[])`,
      [sourceKeys],
    );
  }

  /**
   * Each reply's status and its first failed (else skipped) message's channel code; a reply that
   * is gone has no row.
   */
  outcomes(replyIds: string[]): Promise<BulkOutcomeRow[]> {
    return prepared<BulkOutcomeRow[]>(
      this.dataSource.manager,
      'bulk_reply_outcomes',
      `SELECT r.id, r.status, m.error_code AS code, m.error_subcode AS subcode, m.error_message AS message
         FROM replies r
         LEFT JOIN LATERAL (
           SELECT error_code, error_subcode, error_message FROM messages
            WHERE reply_id = r.id AND status IN ('failed', 'skipped')
            ORDER BY (status = 'failed') DESC, position LIMIT 1
         ) m ON true
        WHERE r.id = ANY($1::uuid[])`,
      [replyIds],
    );
  }
}
