import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { prepared } from '../database';

/**
 * The conversation rules that live in SQL (they must hold for concurrent writers, so Postgres
 * applies them to the row it has, not to a copy read earlier). Each is a named function of SQL
 * expressions, used in the statements below and tested on the real database
 * (test/referrals/conversation-rules.e2e-spec.ts).
 */
export const ConversationRules = {
  /** The first referral of a conversation sticks: set by the first one, never moved after. */
  firstReferralSticks: (current: string, incoming: string): string =>
    `COALESCE(${current}, ${incoming})`,
  /** The last referral of a conversation moves with every referral; other events leave it. */
  lastReferralMoves: (current: string, incoming: string): string =>
    `COALESCE(${incoming}, ${current})`,
  /**
   * Handover is sticky until released: once handed to a human agent, a conversation stays handed
   * over whatever else arrives, until a release gives it back to the bot (a release wins).
   */
  handoverStickyUntilReleased: (current: string, handover: string, release: string): string =>
    `CASE WHEN ${release} THEN false ELSE ${current} OR ${handover} END`,
  /** The messaging window is measured from the latest inbound time; a late item never moves it back. */
  lastInboundOnlyMovesForward: (current: string, incoming: string): string =>
    `GREATEST(${current}, ${incoming})`,
} as const;

/** An inbound event to log, on its contact's conversation. */
export interface InboundToLog {
  botId: string;
  contactId: string;
  channel: Channel;
  occurredAt: Date;
  kind: string;
  text: string | null;
  raw: Record<string, unknown>;
  externalMessageId: string | null;
}

export interface OpenConversation {
  id: string;
  contactId: string;
  handedOver: boolean;
  /** The contact's latest inbound time, this event's included: where the messaging window starts. */
  lastInboundAt: Date;
}

/** A conversation's change and the reply stored with it (see ReplyWriter). */
export interface ReplyRecord {
  conversationId: string;
  botId: string;
  channel: Channel;
  referralId: string | null;
  handover: boolean;
  handoverNote: string | null;
  release: boolean;
  occurredAt: Date;
  /** Null when there is nothing to send. */
  replyId: string | null;
  messages: { kind: string; text: string | null; payload: Record<string, unknown> }[];
}

/** An outbound message as stored. */
export interface StoredMessage {
  id: string;
  replyId: string;
  position: number;
}

const { firstReferralSticks, lastReferralMoves, handoverStickyUntilReleased } = ConversationRules;

/** The `conversations`, `replies` and `messages` statements of the inbound path (named, prepared). */
@Injectable()
export class ConversationsRepository {
  /**
   * Opens the contacts' conversations (or moves their last inbound time) and logs the inbound
   * messages, in one statement; contacts must be distinct. Rows come back in no particular order.
   */
  openAndLog(tx: EntityManager, events: InboundToLog[]): Promise<OpenConversation[]> {
    return prepared<OpenConversation[]>(
      tx,
      'conversations_open',
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::timestamptz[], $5::varchar[],
                              $6::text[], $7::jsonb[], $8::varchar[])
                WITH ORDINALITY AS i(bot_id, contact_id, channel, occurred_at, kind, text, payload, external_id, position)
       ), conversation AS (
         INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
         SELECT bot_id, contact_id, channel, occurred_at, occurred_at FROM input ORDER BY position
         ON CONFLICT (contact_id) DO UPDATE
           SET last_inbound_at = ${ConversationRules.lastInboundOnlyMovesForward('conversations.last_inbound_at', 'EXCLUDED.last_inbound_at')},
               updated_at = now()
         RETURNING id, contact_id, handed_over, last_inbound_at
       ), logged AS (
         INSERT INTO messages (bot_id, conversation_id, direction, event_kind, text, payload, status, external_id, occurred_at)
         SELECT i.bot_id, c.id, 'in', i.kind, i.text, i.payload, 'received', i.external_id, i.occurred_at
           FROM input i JOIN conversation c USING (contact_id)
          ORDER BY i.position
       )
       SELECT id, contact_id AS "contactId", handed_over AS "handedOver", last_inbound_at AS "lastInboundAt"
         FROM conversation`,
      [
        events.map((e) => e.botId),
        events.map((e) => e.contactId),
        events.map((e) => e.channel),
        events.map((e) => e.occurredAt),
        events.map((e) => e.kind),
        events.map((e) => e.text),
        events.map((e) => JSON.stringify(e.raw)),
        events.map((e) => e.externalMessageId?.slice(0, 255) ?? null),
      ],
    );
  }

  /**
   * Applies each record's change to its conversation and stores its messages as a pending reply,
   * in one statement. Conversations must be distinct: one statement cannot update a row twice.
   * Returns the stored messages' ids, with their reply and position.
   */
  storeReplies(tx: EntityManager, records: ReplyRecord[]): Promise<StoredMessage[]> {
    const messages = records.flatMap((r) =>
      r.messages.map((message, position) => ({ replyId: r.replyId!, position, message })),
    );
    return prepared<StoredMessage[]>(
      tx,
      'replies_write',
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::boolean[], $4::varchar[], $5::uuid[],
                              $6::varchar[], $7::timestamptz[], $8::uuid[], $14::boolean[])
                AS i(conversation_id, referral_id, handover, note, bot_id, channel, occurred_at, reply_id, release)
       ), changed AS (
         UPDATE conversations c
            SET last_referral_id = ${lastReferralMoves('c.last_referral_id', 'i.referral_id')},
                first_referral_id = ${firstReferralSticks('c.first_referral_id', 'i.referral_id')},
                handed_over = ${handoverStickyUntilReleased('c.handed_over', 'i.handover', 'i.release')},
                handed_over_at = CASE WHEN i.release THEN NULL WHEN i.handover THEN now() ELSE c.handed_over_at END,
                handover_note = CASE WHEN i.release THEN NULL WHEN i.handover THEN i.note ELSE c.handover_note END,
                updated_at = now()
           FROM input i
          WHERE c.id = i.conversation_id AND (i.referral_id IS NOT NULL OR i.handover OR i.release)
       ), reply AS (
         INSERT INTO replies (id, bot_id, conversation_id, channel, status)
         SELECT reply_id, bot_id, conversation_id, channel, 'pending' FROM input WHERE reply_id IS NOT NULL
       )
       INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, content_type, text, payload, status, occurred_at)
       SELECT i.bot_id, i.conversation_id, 'out', m.reply_id, m.position, m.kind, m.text, m.payload, 'pending', i.occurred_at
         FROM unnest($9::uuid[], $10::smallint[], $11::varchar[], $12::text[], $13::jsonb[])
              AS m(reply_id, position, kind, text, payload)
         JOIN input i ON i.reply_id = m.reply_id
       RETURNING id::text AS id, reply_id AS "replyId", position`,
      [
        records.map((r) => r.conversationId),
        records.map((r) => r.referralId),
        records.map((r) => r.handover),
        records.map((r) => r.handoverNote),
        records.map((r) => r.botId),
        records.map((r) => r.channel),
        records.map((r) => r.occurredAt),
        records.map((r) => r.replyId),
        messages.map((m) => m.replyId),
        messages.map((m) => m.position),
        messages.map((m) => m.message.kind),
        messages.map((m) => m.message.text),
        messages.map((m) => JSON.stringify(m.message.payload)),
        records.map((r) => r.release),
      ],
    );
  }
}
