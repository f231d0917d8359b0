import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { type EntityManager } from 'typeorm';
import { prepared } from '../database';
import { enqueueMissing, enqueueSafely, type JobPayloads, QueueName } from '../queues';
import { type FunnelActivity, ReferralsService } from '../referrals';
import { BulkSendService, type Receipt } from './bulk-send.service';
import { type Decision, Dispatcher } from './dispatcher';
import { type InboundEvent } from './inbound-event';
import { ReplyWriter, type ReplyWrite } from './reply-writer';
import { roundsOf } from './rounds';

export interface InboundResult {
  conversationId: string;
  /** The reply to send, when the event is answered. */
  replyId: string | null;
}

interface ConversationRow {
  id: string;
  contactId: string;
  handedOver: boolean;
}

/** What the contact said or tapped: engagement in the funnels of the referrals it came through. */
function funnelActivity(event: InboundEvent): FunnelActivity[] {
  const who = { botId: event.botId, contactId: event.contactId };
  switch (event.kind) {
    case 'text':
    case 'attachment':
    case 'quickReply':
    case 'postback':
      return [{ ...who, kind: 'engaged', at: event.occurredAt }];
    case 'referral':
    case 'threadControl':
    case 'other':
      return [];
  }
}

@Injectable()
export class ConversationsService {
  private readonly logger = new Logger(ConversationsService.name);

  constructor(
    @InjectQueue(QueueName.Outbound)
    private readonly outbound: Queue<JobPayloads[typeof QueueName.Outbound]>,
    private readonly dispatcher: Dispatcher,
    private readonly replies: ReplyWriter,
    private readonly referrals: ReferralsService,
    private readonly bulk: BulkSendService,
  ) {}

  /**
   * Handles inbound events inside the caller's transaction (results in the order given): opens or
   * touches each conversation, logs the message, lets the dispatcher decide, and stores the answer
   * as a pending reply. A few statements per round, not several per event: what keeps a burst of
   * campaign clicks cheap. The caller commits, then hands the reply ids to `enqueueReplies`.
   */
  async handleInboundMany(events: InboundEvent[], tx: EntityManager): Promise<InboundResult[]> {
    const results: InboundResult[] = new Array<InboundResult>(events.length);
    for (const round of roundsOf(events)) {
      const batch = round.map((index) => events[index]);
      const conversations = await this.openConversations(batch, tx);
      const decisions = await this.dispatcher.decideMany(
        batch,
        conversations.map((conversation) => conversation.id),
        tx,
      );
      const writes = batch.map((event, k) =>
        this.replyWrite(event, conversations[k], decisions[k]),
      );
      const pending = writes.flatMap((write) => (write ? [write] : []));
      const replyIds = await this.replies.writeMany(tx, pending);
      const replyOf = new Map(pending.map((write, k) => [write, replyIds[k]]));
      await this.referrals.recordAnswers(
        writes.flatMap((write, k) => {
          const entry = decisions[k].entry;
          const replyId = write && replyOf.get(write);
          return entry && replyId
            ? [{ entryId: entry.id, enteredAt: entry.occurredAt, replyId }]
            : [];
        }),
        tx,
      );
      await this.referrals.recordActivity(batch.flatMap(funnelActivity), tx);
      round.forEach((index, k) => {
        const write = writes[k];
        results[index] = {
          conversationId: conversations[k].id,
          replyId: write ? (replyOf.get(write) ?? null) : null,
        };
      });
    }
    return results;
  }

  /**
   * Delivery and read receipts, in the caller's transaction: they move the funnels of the
   * referrals whose answers they cover and the records of receipt listeners (broadcasts), and
   * are no conversation turn (no message logged, the messaging window untouched).
   */
  async recordReceipts(events: InboundEvent[], tx: EntityManager): Promise<void> {
    const receipts: Receipt[] = events.flatMap((event) =>
      event.receipt
        ? [
            {
              botId: event.botId,
              contactId: event.contactId,
              kind: event.receipt.kind,
              watermark: event.receipt.watermark,
            },
          ]
        : [],
    );
    await this.referrals.recordActivity(
      receipts.map((r) => ({
        botId: r.botId,
        contactId: r.contactId,
        kind: r.kind,
        at: r.watermark,
      })),
      tx,
    );
    // Broadcasts count their messages delivered and read from the same watermarks.
    await this.bulk.recordReceipts(receipts, tx);
  }

  /** Queues replies whose rows are committed; what cannot be queued now, the reply sweeper picks up. */
  async enqueueReplies(replyIds: string[]): Promise<void> {
    await enqueueSafely(this.outbound, this.outboundJobs(replyIds), this.logger);
  }

  /** For the sweeper: queues the pending replies the queue does not already hold. */
  async requeueReplies(replyIds: string[]): Promise<void> {
    await enqueueMissing(this.outbound, this.outboundJobs(replyIds), this.logger);
  }

  private outboundJobs(replyIds: string[]): { data: { replyId: string }; jobId: string }[] {
    return replyIds.map((replyId) => ({ data: { replyId }, jobId: replyId }));
  }

  /** What handling the event writes: rendered messages and conversation changes, or null for nothing. */
  private replyWrite(
    event: InboundEvent,
    conversation: ConversationRow,
    decision: Decision,
  ): ReplyWrite | null {
    const silent = event.standby || conversation.handedOver;
    const content = silent ? null : decision.answer?.content;
    const messages = content
      ? this.replies.render(event.channel, content, {
          contact: { firstName: event.contact.firstName, lastName: event.contact.lastName },
          referral: { trackingParam: decision.referral?.trackingParam ?? null },
        })
      : [];
    const handover = (!silent && decision.answer?.handover) || null;
    if (handover) {
      // After the module's content: the person reads it before the agent's app owns the thread.
      const pass = this.replies.threadControl(event.channel, {
        action: 'pass',
        targetAppId: handover.targetAppId ?? null,
        metadata: handover.note,
      });
      if (pass) messages.push(pass);
    }
    const control = event.threadControl;
    const change = {
      referralId: decision.referral?.id ?? null,
      handover: handover
        ? { note: handover.note }
        : control?.change === 'started'
          ? { note: control.metadata ?? `Thread taken by app ${control.appId ?? 'unknown'}` }
          : null,
      release: control?.change === 'ended',
    };
    if (messages.length === 0 && !change.referralId && !change.handover && !change.release)
      return null;
    return {
      conversation: { id: conversation.id, botId: event.botId, channel: event.channel },
      change,
      messages,
      occurredAt: event.occurredAt,
    };
  }

  /**
   * Opens the conversations (or moves their last inbound time) and logs the inbound messages, in
   * one statement; contacts must be distinct. Rows come back in the order of `events`.
   */
  private async openConversations(
    events: InboundEvent[],
    tx: EntityManager,
  ): Promise<ConversationRow[]> {
    const rows = await prepared<ConversationRow[]>(
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
           SET last_inbound_at = GREATEST(conversations.last_inbound_at, EXCLUDED.last_inbound_at),
               updated_at = now()
         RETURNING id, contact_id, handed_over
       ), logged AS (
         INSERT INTO messages (bot_id, conversation_id, direction, kind, text, payload, status, external_id, occurred_at)
         SELECT i.bot_id, c.id, 'in', i.kind, i.text, i.payload, 'received', i.external_id, i.occurred_at
           FROM input i JOIN conversation c USING (contact_id)
          ORDER BY i.position
       )
       SELECT id, contact_id AS "contactId", handed_over AS "handedOver" FROM conversation`,
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
    const byContact = new Map(rows.map((row) => [row.contactId, row]));
    return events.map((event) => {
      const row = byContact.get(event.contactId);
      if (!row) throw new Error('conversation upsert returned no row');
      return row;
    });
  }
}
