import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type Channel, type ExternalIdKind } from '../contacts';
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
}

interface MessageRow {
  id: string;
  status: MessageStatus;
  payload: Record<string, unknown>;
}

type Failure = Extract<SendOutcome, { ok: false }>;

/** Sends a reply's messages in order, each at most once, and records how each went. */
@Injectable()
export class OutboundService {
  private readonly logger = new Logger(OutboundService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly senders: SenderRegistry,
  ) {}

  async send(replyId: string, lastAttempt: boolean, now = new Date()): Promise<void> {
    const reply = await this.loadReply(replyId);
    if (!reply || reply.status !== 'pending') return;
    const messages = await this.dataSource.query<MessageRow[]>(
      `SELECT id, status, payload FROM messages WHERE reply_id = $1 ORDER BY position`,
      [replyId],
    );
    if (now.getTime() - reply.lastInboundAt.getTime() > MESSAGING_WINDOW_MS) {
      await this.finish(replyId, 'skipped', {
        code: null,
        subcode: null,
        message: 'OUTSIDE_MESSAGING_WINDOW: the contact last wrote more than 24 hours ago',
      });
      return;
    }
    const sender = this.senders.get(reply.channel);
    if (!sender) throw new Error(`no sender registered for channel ${reply.channel}`);
    const recipient = { externalId: reply.externalId, externalIdKind: reply.externalIdKind };

    for (const message of messages) {
      // Messages already sent by an earlier attempt are never sent again.
      if (message.status !== 'pending') continue;
      const outcome = await sender.send(reply.botId, recipient, message.payload);
      if (outcome.ok) {
        await this.dataSource.query(
          `UPDATE messages SET status = 'sent', external_id = $2, sent_at = now(), attempts = attempts + 1,
                  error_code = NULL, error_subcode = NULL, error_message = NULL
            WHERE id = $1`,
          [message.id, outcome.externalId],
        );
        continue;
      }
      if (outcome.retryable && !lastAttempt) {
        await this.recordAttempt(message.id, outcome);
        throw new RetryableSendError(
          `${reply.channel} send failed, will retry: ${outcome.message}`,
        );
      }
      await this.failMessage(message.id, outcome);
      await this.finish(replyId, 'failed', {
        code: null,
        subcode: null,
        message: 'PREVIOUS_MESSAGE_FAILED: an earlier message of this reply could not be sent',
      });
      this.logger.warn(`Reply ${replyId} failed: ${outcome.message} (code ${outcome.code ?? '-'})`);
      return;
    }
    await this.dataSource.query(
      `UPDATE replies SET status = 'sent', completed_at = now() WHERE id = $1`,
      [replyId],
    );
  }

  /** Marks a reply done with `status`, and its unsent messages skipped with `reason`. */
  private async finish(
    replyId: string,
    status: ReplyStatus,
    reason: Omit<Failure, 'ok' | 'retryable'>,
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `UPDATE messages SET status = 'skipped', error_message = $2 WHERE reply_id = $1 AND status = 'pending'`,
        [replyId, reason.message],
      );
      await tx.query(`UPDATE replies SET status = $2, completed_at = now() WHERE id = $1`, [
        replyId,
        status,
      ]);
    });
  }

  private async failMessage(messageId: string, failure: Failure): Promise<void> {
    await this.dataSource.query(
      `UPDATE messages SET status = 'failed', attempts = attempts + 1,
              error_code = $2, error_subcode = $3, error_message = $4
        WHERE id = $1`,
      [messageId, failure.code, failure.subcode, failure.message],
    );
  }

  private async recordAttempt(messageId: string, failure: Failure): Promise<void> {
    await this.dataSource.query(
      `UPDATE messages SET attempts = attempts + 1, error_code = $2, error_subcode = $3, error_message = $4
        WHERE id = $1`,
      [messageId, failure.code, failure.subcode, failure.message],
    );
  }

  private async loadReply(replyId: string): Promise<ReplyRow | undefined> {
    const rows = await this.dataSource.query<ReplyRow[]>(
      `SELECT r.id, r.bot_id AS "botId", r.channel, r.status, c.last_inbound_at AS "lastInboundAt",
              k.external_id AS "externalId", k.external_id_kind AS "externalIdKind"
         FROM replies r
         JOIN conversations c ON c.id = r.conversation_id
         JOIN contacts k ON k.id = c.contact_id
        WHERE r.id = $1`,
      [replyId],
    );
    return rows[0];
  }
}
