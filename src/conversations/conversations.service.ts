import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { type EntityManager } from 'typeorm';
import { prepared } from '../database';
import { enqueueSafely, type JobPayloads, QueueName } from '../queues';
import { Dispatcher } from './dispatcher';
import { type InboundEvent } from './inbound-event';
import { ReplyWriter } from './reply-writer';

export interface InboundResult {
  conversationId: string;
  /** The reply to send, when the event is answered. */
  replyId: string | null;
}

interface ConversationRow {
  id: string;
  handedOver: boolean;
}

@Injectable()
export class ConversationsService {
  private readonly logger = new Logger(ConversationsService.name);

  constructor(
    @InjectQueue(QueueName.Outbound)
    private readonly outbound: Queue<JobPayloads[typeof QueueName.Outbound]>,
    private readonly dispatcher: Dispatcher,
    private readonly replies: ReplyWriter,
  ) {}

  /**
   * Handles one inbound event inside the caller's transaction: opens or touches the conversation,
   * logs the message, lets the dispatcher decide, and stores the answer as a pending reply. The
   * caller commits, then hands the reply id to `enqueueReplies`.
   */
  async handleInbound(event: InboundEvent, tx: EntityManager): Promise<InboundResult> {
    const conversation = await this.openConversation(event, tx);
    const decision = await this.dispatcher.decide(event, conversation.id, tx);
    const silent = event.standby || conversation.handedOver;
    const content = silent ? null : decision.answer?.content;
    const messages = content
      ? this.replies.render(event.channel, content, {
          contact: { firstName: event.contact.firstName, lastName: event.contact.lastName },
          referral: { trackingParam: decision.referral?.trackingParam ?? null },
        })
      : [];
    const change = {
      referralId: decision.referral?.id ?? null,
      handover: (!silent && decision.answer?.handover) || null,
    };
    if (messages.length === 0 && !change.referralId && !change.handover) {
      return { conversationId: conversation.id, replyId: null };
    }
    const replyId = await this.replies.write(
      tx,
      { id: conversation.id, botId: event.botId, channel: event.channel },
      change,
      messages,
      event.occurredAt,
    );
    return { conversationId: conversation.id, replyId };
  }

  /** Queues replies whose rows are committed; what cannot be queued now, the reply sweeper picks up. */
  async enqueueReplies(replyIds: string[]): Promise<void> {
    await enqueueSafely(
      this.outbound,
      replyIds.map((replyId) => ({ data: { replyId }, jobId: replyId })),
      this.logger,
    );
  }

  /** Opens the conversation (or moves its last inbound time) and logs the inbound message. */
  private async openConversation(event: InboundEvent, tx: EntityManager): Promise<ConversationRow> {
    const rows = await prepared<ConversationRow[]>(
      tx,
      'conversation_open',
      `WITH conversation AS (
         INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
         VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (contact_id) DO UPDATE
           SET last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at),
               updated_at = now()
         RETURNING id, handed_over
       ), logged AS (
         INSERT INTO messages (bot_id, conversation_id, direction, kind, text, payload, status, external_id, occurred_at)
         SELECT $1, id, 'in', $5, $6, $7, 'received', $8, $4 FROM conversation
       )
       SELECT id, handed_over AS "handedOver" FROM conversation`,
      [
        event.botId,
        event.contactId,
        event.channel,
        event.occurredAt,
        event.kind,
        event.text,
        JSON.stringify(event.raw),
        event.externalMessageId?.slice(0, 255) ?? null,
      ],
    );
    if (!rows[0]) throw new Error('conversation upsert returned no row');
    return rows[0];
  }
}
