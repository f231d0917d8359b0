import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { GroupCommit } from '../common/group-commit';
import { type Content } from '../creator';
import { BulkSendRepository, type BulkMessageRecord } from './bulk-send.repository';
import { type ReplySendOptions, type ReplyStatus } from './entities/reply.entity';
import { type ReceiptKind } from './inbound-event';
import { OutboundService, RetryableSendError } from './outbound.service';
import { RenderReply } from './render-reply';

/** A contact as a sender of unprompted messages sees it: its conversation and window. */
export interface BulkTarget {
  contactId: string;
  conversationId: string;
  channel: Channel;
  /** The contact's last message: the 24-hour window runs from here. */
  lastInboundAt: Date;
  /** A human agent holds the conversation: the bot stays silent. */
  handedOver: boolean;
  firstName: string | null;
  lastName: string | null;
}

/** One keyed reply to store: `sourceKey` makes storing it again a no-op. */
export interface BulkWrite {
  sourceKey: string;
  botId: string;
  target: BulkTarget;
  content: Content;
  options: ReplySendOptions;
}

/**
 * How a keyed reply went: `retry` when a transient failure (or another live run holding it) left
 * it pending; otherwise the reply's final status with the failing message's channel code.
 */
export interface BulkOutcome {
  status: Exclude<ReplyStatus, 'pending'> | 'retry';
  code: number | null;
  subcode: number | null;
  message: string | null;
}

/**
 * A channel's receipt for a contact: every message sent to it up to `watermark` was delivered /
 * read (Messenger's `delivery.watermark` and `read.watermark`).
 */
export interface Receipt {
  botId: string;
  contactId: string;
  kind: ReceiptKind;
  watermark: Date;
}

/**
 * A module above conversations that keeps its own record of what its bulk messages reached (a
 * broadcast's delivered and read counts); told of every receipt in the inbound transaction.
 */
export interface ReceiptListener {
  recordReceipts(receipts: Receipt[], tx: EntityManager): Promise<void>;
}

/**
 * The conversations core's outbound path for messages no inbound event asked for (broadcasts):
 * they are stored as replies keyed by their source, so a source re-driven after a crash finds its
 * reply and its messages' send claims (sent once, never twice), and sent by the same OutboundService
 * and sender registry as answers, with channel-neutral send options and bulk priority.
 */
@Injectable()
export class BulkSendService {
  private readonly receiptListeners: ReceiptListener[] = [];
  /** Concurrent sends' outcomes read in one statement: a broadcast sends hundreds a second. */
  private readonly outcomes = new GroupCommit<string, OutcomeRow | undefined>(
    (replyIds) => this.readOutcomes(replyIds),
    { maxItems: 100, parallel: 2 },
  );

  constructor(
    private readonly repository: BulkSendRepository,
    private readonly outbound: OutboundService,
    private readonly writer: RenderReply,
  ) {}

  /**
   * Registers a module above conversations for receipts (conversations never imports it: it
   * registers itself at start-up, as a channel registers its sender).
   */
  listenToReceipts(listener: ReceiptListener): void {
    this.receiptListeners.push(listener);
  }

  /** Hands receipts to every listener, in the caller's (inbound) transaction. */
  async recordReceipts(receipts: Receipt[], tx: EntityManager): Promise<void> {
    if (receipts.length === 0) return;
    for (const listener of this.receiptListeners) await listener.recordReceipts(receipts, tx);
  }

  /** The conversations of the bot's contacts, by contact id; contacts without one are left out. */
  async targets(botId: string, contactIds: string[]): Promise<Map<string, BulkTarget>> {
    const rows = await this.repository.targets(botId, contactIds);
    return new Map(
      rows.map((row) => [row.contactId, { ...row, lastInboundAt: new Date(row.lastInboundAt) }]),
    );
  }

  /**
   * Renders each write's content for its contact (`{{contact.firstName|you}}`) and stores it as a
   * pending reply, unless a reply with its key exists. Returns the reply id per key; null where the
   * content renders to nothing.
   */
  async write(writes: BulkWrite[]): Promise<Map<string, string | null>> {
    const result = new Map<string, string | null>();
    const stored: { write: BulkWrite; replyId: string }[] = [];
    const messages: BulkMessageRecord[] = [];
    for (const write of writes) {
      const rendered = this.writer.render(write.target.channel, write.content, {
        contact: { firstName: write.target.firstName, lastName: write.target.lastName },
      });
      if (rendered.length === 0) {
        result.set(write.sourceKey, null);
        continue;
      }
      const replyId = randomUUID();
      stored.push({ write, replyId });
      rendered.forEach((message, position) =>
        messages.push({
          replyId,
          position,
          kind: message.kind,
          text: message.text,
          payload: JSON.stringify(message.payload),
        }),
      );
    }
    if (stored.length === 0) return result;
    await this.repository.writeReplies(
      stored.map((s) => ({
        replyId: s.replyId,
        sourceKey: s.write.sourceKey,
        botId: s.write.botId,
        conversationId: s.write.target.conversationId,
        channel: s.write.target.channel,
        sendOptions: JSON.stringify(s.write.options),
      })),
      messages,
    );
    // Keys stored by an earlier run keep that run's reply: its messages may be sent already.
    const rows = await this.repository.repliesByKey(stored.map((s) => s.write.sourceKey));
    for (const row of rows) result.set(row.sourceKey, row.id);
    return result;
  }

  /**
   * Sends a keyed reply's unsent messages (each claimed first: never twice) and says how it went.
   * `lastAttempt`: a transient failure fails the reply instead of leaving it for a retry.
   */
  async send(replyId: string, lastAttempt: boolean): Promise<BulkOutcome> {
    try {
      await this.outbound.send(replyId, lastAttempt);
    } catch (error) {
      if (!(error instanceof RetryableSendError)) throw error;
      return { status: 'retry', code: null, subcode: null, message: error.message };
    }
    const [row] = await this.outcomes.submit([replyId]);
    if (!row || row.status === 'pending')
      return { status: 'retry', code: null, subcode: null, message: 'still being sent' };
    return { ...row, status: row.status };
  }

  /** Each reply's status and its first failed (else skipped) message's channel code, in order. */
  private async readOutcomes(replyIds: string[]): Promise<(OutcomeRow | undefined)[]> {
    const rows = await this.repository.outcomes(replyIds);
    const byId = new Map(rows.map(({ id, ...row }) => [id, row]));
    return replyIds.map((id) => byId.get(id));
  }
}

interface OutcomeRow {
  status: ReplyStatus;
  code: number | null;
  subcode: number | null;
  message: string | null;
}
