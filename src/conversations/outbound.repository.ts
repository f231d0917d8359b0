import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { prepared } from '../database';
import { answersSentCtes } from '../referrals';
import { type ReplyStatus } from './entities/reply.entity';
import { type ReplyRow } from './outbound.service';

/** A message whose send succeeded, to record; with `replyId` when it was its reply's last. */
export interface SentMark {
  messageId: string;
  externalId: string | null;
  replyId: string | null;
}

/**
 * The records of sends as a statement part (what `markSent` writes): its CTEs (`marks_input`,
 * `messages_sent`, the referrals module's `answers_*` when some answer, `replies_sent`), their
 * arrays numbered from `$first`, and `variant` (`sent` or `sent_answered`, one SQL text each) for
 * the borrowing statement's name. Lent to the transaction that carries them (`SentMarks`).
 */
export interface SentMarksPart {
  readonly variant: 'sent' | 'sent_answered';
  ctes(first: number): string;
  readonly values: unknown[];
}

/** `markSent`'s statement as a part (see `SentMarksPart`). */
export function sentMarksPart(marks: SentMark[], answering: string[]): SentMarksPart {
  const answers = answering.length > 0;
  return {
    variant: answers ? 'sent_answered' : 'sent',
    ctes: (first) => `marks_input AS (
         SELECT * FROM unnest($${first}::bigint[], $${first + 1}::varchar[], $${first + 2}::uuid[])
                  AS m(message_id, external_id, reply_id)
       ), messages_sent AS (
         UPDATE messages m SET status = 'sent', sending_by = NULL, sending_at = NULL, external_id = i.external_id, sent_at = now(),
                attempts = m.attempts + 1, error_code = NULL, error_subcode = NULL, error_message = NULL
           FROM marks_input i WHERE m.id = i.message_id
       ), ${answers ? `${answersSentCtes(`$${first + 3}::uuid[]`)}, ` : ''}replies_sent AS (
         UPDATE replies r SET status = 'sent', completed_at = now() FROM marks_input i
          WHERE r.id = i.reply_id
       )`,
    values: [
      marks.map((mark) => mark.messageId),
      marks.map((mark) => mark.externalId),
      marks.map((mark) => mark.replyId),
      ...(answers ? [answering] : []),
    ],
  };
}

/** A failed send as the channel answered it (codes are the channel's, e.g. Graph API's). */
export interface SendFailure {
  code: number | null;
  subcode: number | null;
  message: string;
}

/** A claimed message as the claim statement returns it: its status and claim time before. */
export interface ClaimRow {
  id: string;
  previous: string;
  since: Date | null;
}

/**
 * The statements of the outbound path: loading replies, send claims (SendClaims), recording each
 * send's outcome (OutboundService), and finding replies whose job was lost (ReplySweeperTask).
 * The hot ones are named and prepared: they run for every message sent.
 */
@Injectable()
export class OutboundRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Loads replies with their conversation's window, the contact's channel id (read from
   * `contacts` in the same statement: no second round trip per send) and their messages in
   * order. Rows come back in no particular order; a reply that is gone has none.
   */
  loadReplies(replyIds: string[]): Promise<ReplyRow[]> {
    return prepared<ReplyRow[]>(
      this.dataSource.manager,
      'outbound_replies_load',
      `SELECT r.id, r.bot_id AS "botId", r.channel, r.status, c.last_inbound_at AS "lastInboundAt",
              c.contact_id AS "contactId", r.send_options AS "sendOptions",
              k.external_id AS "externalId", k.external_id_kind AS "externalIdKind",
              (SELECT json_agg(json_build_object('id', m.id::text, 'status', m.status, 'payload', m.payload)
                               ORDER BY m.position)
                 FROM messages m WHERE m.reply_id = r.id) AS messages
         FROM replies r
         JOIN conversations c ON c.id = r.conversation_id
         JOIN contacts k ON k.id = c.contact_id
        WHERE r.id = ANY($1::uuid[])`,
      [replyIds],
    );
  }

  /**
   * Claims messages for the process of `token`: those pending, those it claimed itself, and those
   * of a process whose claim session (`application_name` = `sessionPrefix` + token) is gone. A
   * SELECT over the UPDATE, since TypeORM answers an UPDATE with a count. Messages not claimed
   * (a live process holds them, or they are no longer pending) have no row.
   */
  claim(ids: string[], token: string, sessionPrefix: string): Promise<ClaimRow[]> {
    return prepared<ClaimRow[]>(
      this.dataSource.manager,
      'outbound_messages_claim',
      `WITH target AS (
         SELECT m.id, m.status, m.sending_at FROM messages m
          WHERE m.id = ANY($1::bigint[])
            AND (m.status = 'pending' OR (m.status = 'sending' AND (m.sending_by = $2 OR NOT EXISTS (
                  SELECT 1 FROM pg_stat_activity a WHERE a.application_name = $3 || m.sending_by))))
            FOR UPDATE OF m
       ), claimed AS (
         UPDATE messages m SET status = 'sending', sending_by = $2, sending_at = now()
           FROM target t WHERE m.id = t.id
         RETURNING m.id::text AS id, t.status AS previous, t.sending_at AS since
       )
       SELECT id, previous, since FROM claimed`,
      [ids, token, sessionPrefix],
    );
  }

  /** Makes messages still claimed by `token` pending again; others' claims are kept. */
  async unclaim(ids: string[], token: string): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'outbound_messages_unclaim',
      `UPDATE messages SET status = 'pending', sending_by = NULL, sending_at = NULL
        WHERE id = ANY($1::bigint[]) AND status = 'sending' AND sending_by = $2`,
      [ids, token],
    );
  }

  /**
   * Marks messages sent (their claim ended, their error cleared), the replies of marks with a
   * `replyId` sent, and the referral answers among `answering` (replies that may answer an entry)
   * sent and counted (`answersSentCtes`, the referrals module's part), in one statement: atomic
   * by itself, in the caller's transaction when `manager` is one.
   */
  async markSent(manager: EntityManager, marks: SentMark[], answering: string[]): Promise<void> {
    const part = sentMarksPart(marks, answering);
    await prepared(
      manager,
      `outbound_messages_${part.variant}`,
      // Postgres runs every data-modifying CTE to completion, read or not.
      `WITH ${part.ctes(1)} SELECT 1`,
      part.values,
    );
  }

  /**
   * Marks a reply done with `status`, and its unsent messages skipped with `reason`; sent ones
   * are kept.
   */
  async finish(replyId: string, status: ReplyStatus, reason: string): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'outbound_reply_finish',
      `WITH skipped AS (
         UPDATE messages SET status = 'skipped', sending_by = NULL, sending_at = NULL, error_message = $3
          WHERE reply_id = $1 AND status IN ('pending', 'sending')
       )
       UPDATE replies SET status = $2, completed_at = now() WHERE id = $1`,
      [replyId, status, reason],
    );
  }

  /** Records a failed attempt (its claim ended, attempts counted); the message becomes `status`. */
  async recordFailure(
    messageId: string,
    failure: SendFailure,
    status: 'pending' | 'failed',
  ): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'outbound_message_failure',
      `UPDATE messages SET status = $5, sending_by = NULL, sending_at = NULL, attempts = attempts + 1, error_code = $2,
              error_subcode = $3, error_message = $4
        WHERE id = $1`,
      [messageId, failure.code, failure.subcode, failure.message, status],
    );
  }

  /**
   * Up to `limit` unkeyed pending replies created more than `graceSeconds` ago, oldest first;
   * keyed ones (`source_key`: broadcasts) are left to their owner.
   */
  pendingRepliesOlderThan(graceSeconds: number, limit: number): Promise<{ id: string }[]> {
    return this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM replies
        WHERE status = 'pending' AND source_key IS NULL AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [graceSeconds, limit],
    );
  }
}
