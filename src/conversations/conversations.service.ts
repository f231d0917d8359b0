import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { type EntityManager } from 'typeorm';
import { ContactsService } from '../contacts';
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
    private readonly contacts: ContactsService,
    private readonly dispatcher: Dispatcher,
    private readonly replies: ReplyWriter,
  ) {}

  /**
   * Handles one inbound event inside the caller's transaction: opens or touches the conversation,
   * logs the message, lets the dispatcher decide, and stores the answer as a pending reply. The
   * caller commits, then hands the reply id to `enqueueReplies`.
   */
  async handleInbound(event: InboundEvent, tx: EntityManager): Promise<InboundResult> {
    const conversation = await this.touchConversation(event, tx);
    await tx.query(
      `INSERT INTO messages (bot_id, conversation_id, direction, kind, text, payload, status, external_id, occurred_at)
       VALUES ($1, $2, 'in', $3, $4, $5, 'received', $6, $7)`,
      [
        event.botId,
        conversation.id,
        event.kind,
        event.text,
        JSON.stringify(event.raw),
        event.externalMessageId?.slice(0, 255) ?? null,
        event.occurredAt,
      ],
    );

    const decision = await this.dispatcher.decide(event, conversation.id, tx);
    const silent = event.standby || conversation.handedOver;
    const handover = !silent ? decision.answer?.handover : undefined;
    if (decision.referral || handover) {
      await tx.query(
        `UPDATE conversations
            SET last_referral_id = COALESCE($2, last_referral_id),
                first_referral_id = COALESCE(first_referral_id, $2),
                handed_over = handed_over OR $3,
                handed_over_at = CASE WHEN $3 THEN now() ELSE handed_over_at END,
                handover_note = CASE WHEN $3 THEN $4 ELSE handover_note END,
                updated_at = now()
          WHERE id = $1`,
        [conversation.id, decision.referral?.id ?? null, Boolean(handover), handover?.note ?? null],
      );
    }
    const content = silent ? null : decision.answer?.content;
    if (!content) return { conversationId: conversation.id, replyId: null };
    const contact = await this.contacts.get(event.botId, event.contactId, tx);
    if (!contact) throw new Error(`contact ${event.contactId} not found`);
    const replyId = await this.replies.write(
      tx,
      { id: conversation.id, botId: event.botId, channel: event.channel },
      contact,
      content,
      decision.referral?.trackingParam ?? null,
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

  private async touchConversation(
    event: InboundEvent,
    tx: EntityManager,
  ): Promise<ConversationRow> {
    const rows = await tx.query<ConversationRow[]>(
      `INSERT INTO conversations (bot_id, contact_id, channel, started_at, last_inbound_at)
       VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (contact_id) DO UPDATE
         SET last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at),
             updated_at = now()
       RETURNING id, handed_over AS "handedOver"`,
      [event.botId, event.contactId, event.channel, event.occurredAt],
    );
    if (!rows[0]) throw new Error('conversation upsert returned no row');
    return rows[0];
  }
}
