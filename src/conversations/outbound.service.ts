import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type Channel, type ExternalIdKind } from '../contacts';
import { GroupCommit } from '../common/group-commit';
import { prepared } from '../database';
import { ReferralsService } from '../referrals';
import { type MessageStatus } from './entities/message.entity';
import { type ReplyStatus } from './entities/reply.entity';
import { type SendOutcome, SenderRegistry } from './senders/channel-sender';

/** Channels let a bot write freely only within 24 hours of the contact's last message. */
export const MESSAGING_WINDOW_MS = 24 * 3600 * 1000;

/** Thrown for a failure worth retrying: the job fails this attempt and Bull retries with backoff. */
export class RetryableSendError extends Error {}

interface ReplyRow {
  id: string;
  botId: string;
  channel: Channel;
  status: ReplyStatus;
  lastInboundAt: Date;
  externalId: string;
  externalIdKind: ExternalIdKind;
  messages: MessageRow[];
}

interface MessageRow {
  id: string;
  status: MessageStatus;
  payload: Record<string, unknown>;
}

type Failure = Extract<SendOutcome, { ok: false }>;

interface SentMark {
  messageId: string;
  externalId: string | null;
  replyId: string | null;
}

/** Replies loaded together at most; concurrent jobs share one read. */
const LOAD_MAX = 100;

/** Sends a reply's messages in order, each at most once, and records how each went. */
@Injectable()
export class OutboundService {
  private readonly logger = new Logger(OutboundService.name);
  private readonly loads = new GroupCommit<string, ReplyRow | undefined>(
    (ids) => this.loadReplies(ids),
    { maxItems: LOAD_MAX },
  );
  private readonly sentMarks = new GroupCommit<SentMark, null>((marks) => this.markSentMany(marks));

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly senders: SenderRegistry,
    private readonly referrals: ReferralsService,
  ) {}

  async send(replyId: string, lastAttempt: boolean, now = new Date()): Promise<void> {
    const [reply] = await this.loads.submit([replyId]);
    if (!reply || reply.status !== 'pending') return;
    if (now.getTime() - reply.lastInboundAt.getTime() > MESSAGING_WINDOW_MS) {
      await this.finish(
        replyId,
        'skipped',
        'OUTSIDE_MESSAGING_WINDOW: the contact last wrote more than 24 hours ago',
      );
      return;
    }
    const sender = this.senders.get(reply.channel);
    if (!sender) throw new Error(`no sender registered for channel ${reply.channel}`);
    const recipient = { externalId: reply.externalId, externalIdKind: reply.externalIdKind };
    const unsent = reply.messages.filter((message) => message.status === 'pending');

    for (const [index, message] of unsent.entries()) {
      // Messages sent by an earlier attempt are not in `unsent`: nothing is sent twice.
      const outcome = await sender.send(reply.botId, recipient, message.payload);
      if (outcome.ok) {
        await this.markSent(
          message.id,
          outcome.externalId,
          index === unsent.length - 1 ? replyId : null,
        );
        continue;
      }
      if (outcome.retryable && !lastAttempt) {
        await this.recordFailure(message.id, outcome, 'pending');
        throw new RetryableSendError(
          `${reply.channel} send failed, will retry: ${outcome.message}`,
        );
      }
      await this.recordFailure(message.id, outcome, 'failed');
      await this.finish(
        replyId,
        'failed',
        'PREVIOUS_MESSAGE_FAILED: an earlier message of this reply could not be sent',
      );
      this.logger.warn(`Reply ${replyId} failed: ${outcome.message} (code ${outcome.code ?? '-'})`);
      return;
    }
    if (unsent.length === 0) await this.finish(replyId, 'sent', '');
  }

  /** Marks a message sent; with `replyId`, the reply too (it was the last message). */
  private async markSent(
    messageId: string,
    externalId: string | null,
    replyId: string | null,
  ): Promise<void> {
    await this.sentMarks.submit([
      { messageId, externalId: externalId?.slice(0, 255) ?? null, replyId },
    ]);
  }

  /**
   * The marks of concurrent sends, in one statement; a reply answering a referral entry moves that
   * referral's funnel (answersSent) in the same transaction.
   */
  private async markSentMany(marks: SentMark[]): Promise<null[]> {
    const completed = marks.flatMap((mark) => (mark.replyId ? [mark.replyId] : []));
    await this.dataSource.transaction(async (tx) => {
      await this.markSentIn(tx, marks);
      await this.referrals.recordAnswersSent(completed, tx);
    });
    return marks.map(() => null);
  }

  private async markSentIn(tx: EntityManager, marks: SentMark[]): Promise<void> {
    await prepared(
      tx,
      'outbound_messages_sent',
      `WITH input AS (
         SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::uuid[]) AS m(message_id, external_id, reply_id)
       ), sent AS (
         UPDATE messages m SET status = 'sent', external_id = i.external_id, sent_at = now(),
                attempts = m.attempts + 1, error_code = NULL, error_subcode = NULL, error_message = NULL
           FROM input i WHERE m.id = i.message_id
       )
       UPDATE replies r SET status = 'sent', completed_at = now() FROM input i WHERE r.id = i.reply_id`,
      [
        marks.map((mark) => mark.messageId),
        marks.map((mark) => mark.externalId),
        marks.map((mark) => mark.replyId),
      ],
    );
  }

  /** Marks a reply done with `status`, and its unsent messages skipped with `reason`. */
  private async finish(replyId: string, status: ReplyStatus, reason: string): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'outbound_reply_finish',
      `WITH skipped AS (
         UPDATE messages SET status = 'skipped', error_message = $3 WHERE reply_id = $1 AND status = 'pending'
       )
       UPDATE replies SET status = $2, completed_at = now() WHERE id = $1`,
      [replyId, status, reason],
    );
  }

  /** Records a failed attempt; the message stays `pending` for a retry or becomes `failed`. */
  private async recordFailure(
    messageId: string,
    failure: Failure,
    status: 'pending' | 'failed',
  ): Promise<void> {
    await prepared(
      this.dataSource.manager,
      'outbound_message_failure',
      `UPDATE messages SET status = $5, attempts = attempts + 1, error_code = $2, error_subcode = $3, error_message = $4
        WHERE id = $1`,
      [messageId, failure.code, failure.subcode, failure.message, status],
    );
  }

  /** The replies of concurrent jobs, loaded in one statement; undefined for a reply that is gone. */
  private async loadReplies(replyIds: string[]): Promise<(ReplyRow | undefined)[]> {
    const rows = await prepared<ReplyRow[]>(
      this.dataSource.manager,
      'outbound_replies_load',
      `SELECT r.id, r.bot_id AS "botId", r.channel, r.status, c.last_inbound_at AS "lastInboundAt",
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
    const byId = new Map(
      rows.map((reply) => [reply.id, { ...reply, lastInboundAt: new Date(reply.lastInboundAt) }]),
    );
    return replyIds.map((id) => byId.get(id));
  }
}
