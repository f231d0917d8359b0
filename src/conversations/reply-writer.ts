import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { type Content, CreatorService, type PersonalisationContext } from '../creator';
import { prepared } from '../database';
import { THREAD_CONTROL, type ThreadControlPayload } from './senders/channel-sender';

type Payload = Record<string, unknown>;

export interface RenderedMessage {
  kind: string;
  text: string | null;
  payload: Payload;
}

/** What handling an event changes on its conversation. */
export interface ConversationChange {
  referralId: string | null;
  /** Hand the conversation to a human agent (the bot goes silent). */
  handover: { note: string | null } | null;
  /** Give the conversation back to the bot; wins over `handover`. */
  release?: boolean;
}

/** One conversation's outcome of an inbound event: its changes and the messages to send. */
export interface ReplyWrite {
  conversation: { id: string; botId: string; channel: Channel };
  change: ConversationChange;
  messages: RenderedMessage[];
  occurredAt: Date;
}

/** A rendered text can come out empty (a lone placeholder without a value); channels refuse those. */
function isEmpty(payload: Payload): boolean {
  return payload.text === '' && payload.attachment === undefined;
}

/** Renders answers for a channel and stores them, with the conversations' changes, in one statement. */
@Injectable()
export class ReplyWriter {
  constructor(private readonly creator: CreatorService) {}

  render(channel: Channel, content: Content, ctx: PersonalisationContext): RenderedMessage[] {
    const payloads = this.renderFor(channel, content, ctx);
    return payloads
      .map((payload, index) => ({
        kind: content.messages[index]?.type ?? 'text',
        text: typeof payload.text === 'string' ? payload.text : null,
        payload,
      }))
      .filter((message) => !isEmpty(message.payload));
  }

  /**
   * The stored form of a thread-control action, for channels where threads have an owner app
   * (Messenger's Handover Protocol); null on channels without one (the widget).
   */
  threadControl(
    channel: Channel,
    action: ThreadControlPayload[typeof THREAD_CONTROL],
  ): RenderedMessage | null {
    switch (channel) {
      case 'messenger':
        return { kind: THREAD_CONTROL, text: null, payload: { [THREAD_CONTROL]: action } };
      case 'widget':
        return null;
    }
  }

  /**
   * Applies each write's `change` to its conversation and stores its `messages` as a pending reply,
   * all in one statement. Returns the reply ids in the order given (null where there is nothing to
   * send). Conversations must be distinct: one statement cannot update a row twice.
   */
  async writeMany(tx: EntityManager, writes: ReplyWrite[]): Promise<(string | null)[]> {
    if (writes.length === 0) return [];
    if (new Set(writes.map((w) => w.conversation.id)).size !== writes.length)
      throw new Error('writeMany: one write per conversation');
    // Ids made here tie each reply to its messages within the one statement.
    const replyIds = writes.map((w) => (w.messages.length > 0 ? randomUUID() : null));
    const messages = writes.flatMap((w, index) =>
      w.messages.map((message, position) => ({ replyId: replyIds[index]!, position, message })),
    );
    await prepared(
      tx,
      'replies_write',
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::boolean[], $4::varchar[], $5::uuid[],
                              $6::varchar[], $7::timestamptz[], $8::uuid[], $14::boolean[])
                AS i(conversation_id, referral_id, handover, note, bot_id, channel, occurred_at, reply_id, release)
       ), changed AS (
         UPDATE conversations c
            SET last_referral_id = COALESCE(i.referral_id, c.last_referral_id),
                first_referral_id = COALESCE(c.first_referral_id, i.referral_id),
                handed_over = CASE WHEN i.release THEN false ELSE c.handed_over OR i.handover END,
                handed_over_at = CASE WHEN i.release THEN NULL WHEN i.handover THEN now() ELSE c.handed_over_at END,
                handover_note = CASE WHEN i.release THEN NULL WHEN i.handover THEN i.note ELSE c.handover_note END,
                updated_at = now()
           FROM input i
          WHERE c.id = i.conversation_id AND (i.referral_id IS NOT NULL OR i.handover OR i.release)
       ), reply AS (
         INSERT INTO replies (id, bot_id, conversation_id, channel, status)
         SELECT reply_id, bot_id, conversation_id, channel, 'pending' FROM input WHERE reply_id IS NOT NULL
       )
       INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, kind, text, payload, status, occurred_at)
       SELECT i.bot_id, i.conversation_id, 'out', m.reply_id, m.position, m.kind, m.text, m.payload, 'pending', i.occurred_at
         FROM unnest($9::uuid[], $10::smallint[], $11::varchar[], $12::text[], $13::jsonb[])
              AS m(reply_id, position, kind, text, payload)
         JOIN input i ON i.reply_id = m.reply_id`,
      [
        writes.map((w) => w.conversation.id),
        writes.map((w) => w.change.referralId),
        writes.map((w) => w.change.handover !== null),
        writes.map((w) => w.change.handover?.note ?? null),
        writes.map((w) => w.conversation.botId),
        writes.map((w) => w.conversation.channel),
        writes.map((w) => w.occurredAt),
        replyIds,
        messages.map((m) => m.replyId),
        messages.map((m) => m.position),
        messages.map((m) => m.message.kind),
        messages.map((m) => m.message.text),
        messages.map((m) => JSON.stringify(m.message.payload)),
        writes.map((w) => w.change.release === true),
      ],
    );
    return replyIds;
  }

  private renderFor(channel: Channel, content: Content, ctx: PersonalisationContext): Payload[] {
    switch (channel) {
      case 'messenger':
        return this.creator.renderForMessenger(content, ctx) as unknown as Payload[];
      case 'widget':
        return this.creator.renderForWidget(content, ctx);
    }
  }
}
