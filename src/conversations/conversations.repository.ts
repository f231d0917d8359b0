import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { prepared, preparedCarried } from '../database';
import { type AnswerOfEntry, recordAnswersCte, recordAnswersValues } from '../referrals';

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
  /** The referral the event came through, when it matched one: set as the conversation opens. */
  referralId: string | null;
}

export interface OpenConversation {
  id: string;
  contactId: string;
  handedOver: boolean;
  /** The contact's latest inbound time, this event's included: where the messaging window starts. */
  lastInboundAt: Date;
}

/** A conversation's change of hands (see UpdateConversationState). */
export interface HandoverChange {
  conversationId: string;
  /** Handed to a human agent, with the note the agent's app or the module gave. */
  handover: boolean;
  handoverNote: string | null;
  /** Given back to the bot; wins over `handover`. */
  release: boolean;
}

/** A reply to store on its conversation, its messages in order (see StoreReplies). */
export interface ReplyRecord {
  replyId: string;
  conversationId: string;
  botId: string;
  channel: Channel;
  occurredAt: Date;
  messages: { kind: string; text: string | null; payload: Record<string, unknown> }[];
  /** Store the messages claimed by this send-claim token (status `sending`), not `pending`. */
  claimedBy: string | null;
}

/** An outbound message as stored. */
export interface StoredMessage {
  id: string;
  replyId: string;
  position: number;
}

const {
  firstReferralSticks,
  lastReferralMoves,
  handoverStickyUntilReleased,
  lastInboundOnlyMovesForward,
} = ConversationRules;

/** The `conversations`, `replies` and `messages` statements of the inbound path (named, prepared). */
@Injectable()
export class ConversationsRepository {
  /**
   * Opens the contacts' conversations (or moves their last inbound time and referrals) and logs
   * the inbound messages, in one statement; contacts must be distinct. A new conversation takes
   * its event's referral as first and last at once, so a referral entry writes its conversation
   * row once. Rows come back in no particular order.
   */
  openAndLog(tx: EntityManager, events: InboundToLog[]): Promise<OpenConversation[]> {
    return prepared<OpenConversation[]>(
      tx,
      'conversations_open',
      openAndLogSql(false),
      openAndLogValues(events),
    );
  }

  /**
   * `openAndLog` for contacts that have no conversation (their rows inserted by `tx`), with ids
   * given here, answering the rows as they will read (not handed over, the messaging window from
   * the event) without waiting: nothing in the transaction needs its answer, so it is issued
   * carried (preparedCarried: in a pipelined transaction it travels with the next statement). A
   * plain INSERT: a contact that had a conversation after all fails the transaction (unique
   * violation) rather than leaving the caller with an id not stored.
   */
  async openNew(tx: EntityManager, events: InboundToLog[]): Promise<OpenConversation[]> {
    if (events.length === 0) return [];
    const rows = events.map((e) => ({
      id: randomUUID(),
      contactId: e.contactId,
      handedOver: false,
      lastInboundAt: e.occurredAt,
    }));
    await preparedCarried(tx, 'conversations_open_new', openAndLogSql(true), [
      ...openAndLogValues(events),
      rows.map((row) => row.id),
    ]);
    return rows;
  }

  /**
   * Hands conversations to a human agent or back to the bot, in one statement; conversations
   * must be distinct (one statement cannot update a row twice).
   */
  async changeHands(tx: EntityManager, changes: HandoverChange[]): Promise<void> {
    if (changes.length === 0) return;
    await prepared(
      tx,
      'conversations_change_hands',
      `UPDATE conversations c
          SET handed_over = ${handoverStickyUntilReleased('c.handed_over', 'i.handover', 'i.release')},
              handed_over_at = CASE WHEN i.release THEN NULL WHEN i.handover THEN now() ELSE c.handed_over_at END,
              handover_note = CASE WHEN i.release THEN NULL WHEN i.handover THEN i.note ELSE c.handover_note END,
              updated_at = now()
         FROM unnest($1::uuid[], $2::boolean[], $3::varchar[], $4::boolean[]) AS i(conversation_id, handover, note, release)
        WHERE c.id = i.conversation_id`,
      [
        changes.map((c) => c.conversationId),
        changes.map((c) => c.handover),
        changes.map((c) => c.handoverNote),
        changes.map((c) => c.release),
      ],
    );
  }

  /**
   * Stores pending replies and their messages, in one statement; a record with `claimedBy` stores
   * its messages already claimed for the send that follows its commit (SendClaims), which then
   * needs no claiming statement of its own. The replies that answer referral entries (`answers`)
   * are tied to them in the same statement (`recordAnswersCte`, the referrals module's part).
   * Issued carried (preparedCarried): in a pipelined transaction it travels with the next
   * statement. Resolves, once issued, to `result`: the stored messages' ids, with their reply and
   * position.
   */
  async storeReplies(
    tx: EntityManager,
    records: ReplyRecord[],
    answers: AnswerOfEntry[],
  ): Promise<{ result: Promise<StoredMessage[]> }> {
    if (records.length === 0) return { result: Promise.resolve([]) };
    const answering = answers.length > 0;
    const messages = records.flatMap((r) =>
      r.messages.map((message, position) => ({ record: r, position, message })),
    );
    return preparedCarried<StoredMessage[]>(
      tx,
      answering ? 'replies_store_answering' : 'replies_store',
      `WITH reply AS (
         INSERT INTO replies (id, bot_id, conversation_id, channel, status)
         SELECT id, bot_id, conversation_id, channel, 'pending'
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[]) AS r(id, bot_id, conversation_id, channel)
       )${answering ? `, ${recordAnswersCte(14)}` : ''}
       INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, content_type, text, payload, status,
                             sending_by, sending_at, occurred_at)
       SELECT m.bot_id, m.conversation_id, 'out', m.reply_id, m.position, m.kind, m.text, m.payload,
              CASE WHEN m.claimed_by IS NULL THEN 'pending' ELSE 'sending' END, m.claimed_by,
              CASE WHEN m.claimed_by IS NULL THEN NULL ELSE now() END, m.occurred_at
         FROM unnest($5::uuid[], $6::uuid[], $7::uuid[], $8::smallint[], $9::varchar[], $10::text[], $11::jsonb[],
                     $12::varchar[], $13::timestamptz[])
              AS m(bot_id, conversation_id, reply_id, position, kind, text, payload, claimed_by, occurred_at)
       RETURNING id::text AS id, reply_id AS "replyId", position`,
      [
        records.map((r) => r.replyId),
        records.map((r) => r.botId),
        records.map((r) => r.conversationId),
        records.map((r) => r.channel),
        messages.map((m) => m.record.botId),
        messages.map((m) => m.record.conversationId),
        messages.map((m) => m.record.replyId),
        messages.map((m) => m.position),
        messages.map((m) => m.message.kind),
        messages.map((m) => m.message.text),
        messages.map((m) => JSON.stringify(m.message.payload)),
        messages.map((m) => m.record.claimedBy),
        messages.map((m) => m.record.occurredAt),
        ...(answering ? recordAnswersValues(answers) : []),
      ],
    );
  }
}

/**
 * The statement of `openAndLog` (`isNew` false) and `openNew` (`isNew` true: plain inserts, with the
 * conversations' ids given as $10).
 */
function openAndLogSql(isNew: boolean): string {
  return `WITH input AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::timestamptz[], $5::varchar[],
                          $6::text[], $7::jsonb[], $8::varchar[], $9::uuid[]${isNew ? ', $10::uuid[]' : ''})
            WITH ORDINALITY AS i(bot_id, contact_id, channel, occurred_at, kind, text, payload, external_id,
                                 referral_id, ${isNew ? 'id, ' : ''}position)
   ), conversation AS (
     INSERT INTO conversations (${isNew ? 'id, ' : ''}bot_id, contact_id, channel, started_at, last_inbound_at,
                                first_referral_id, last_referral_id)
     SELECT ${isNew ? 'id, ' : ''}bot_id, contact_id, channel, occurred_at, occurred_at, referral_id, referral_id
       FROM input ORDER BY position${
         isNew
           ? ''
           : `
     ON CONFLICT (contact_id) DO UPDATE
       SET last_inbound_at = ${lastInboundOnlyMovesForward('conversations.last_inbound_at', 'EXCLUDED.last_inbound_at')},
           last_referral_id = ${lastReferralMoves('conversations.last_referral_id', 'EXCLUDED.last_referral_id')},
           first_referral_id = ${firstReferralSticks('conversations.first_referral_id', 'EXCLUDED.first_referral_id')},
           updated_at = now()`
       }
     RETURNING id, contact_id, handed_over, last_inbound_at
   ), logged AS (
     INSERT INTO messages (bot_id, conversation_id, direction, event_kind, text, payload, status, external_id, occurred_at)
     SELECT i.bot_id, c.id, 'in', i.kind, i.text, i.payload, 'received', i.external_id, i.occurred_at
       FROM input i JOIN conversation c USING (contact_id)
      ORDER BY i.position
   )
   SELECT id, contact_id AS "contactId", handed_over AS "handedOver", last_inbound_at AS "lastInboundAt"
     FROM conversation`;
}

/** The values of `openAndLogSql`'s $1 to $9, from the events to log. */
function openAndLogValues(events: InboundToLog[]): unknown[] {
  return [
    events.map((e) => e.botId),
    events.map((e) => e.contactId),
    events.map((e) => e.channel),
    events.map((e) => e.occurredAt),
    events.map((e) => e.kind),
    events.map((e) => e.text),
    events.map((e) => JSON.stringify(e.raw)),
    events.map((e) => e.externalMessageId?.slice(0, 255) ?? null),
    events.map((e) => e.referralId),
  ];
}
