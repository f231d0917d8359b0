import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { type Content, CreatorService, type PersonalisationContext } from '../creator';
import { prepared } from '../database';

type Payload = Record<string, unknown>;

export interface RenderedMessage {
  kind: string;
  text: string | null;
  payload: Payload;
}

/** What handling an event changes on its conversation. */
export interface ConversationChange {
  referralId: string | null;
  handover: { note: string | null } | null;
}

/** A rendered text can come out empty (a lone placeholder without a value); channels refuse those. */
function isEmpty(payload: Payload): boolean {
  return payload.text === '' && payload.attachment === undefined;
}

/** Renders answers for a channel and stores them, with the conversation's changes, in one statement. */
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
   * Applies `change` to the conversation and stores `messages` as a pending reply. Returns the
   * reply id, or null when there is nothing to send.
   */
  async write(
    tx: EntityManager,
    conversation: { id: string; botId: string; channel: Channel },
    change: ConversationChange,
    messages: RenderedMessage[],
    occurredAt: Date,
  ): Promise<string | null> {
    const [row] = await prepared<{ replyId: string | null }[]>(
      tx,
      'reply_write',
      `WITH changed AS (
         UPDATE conversations
            SET last_referral_id = COALESCE($2, last_referral_id),
                first_referral_id = COALESCE(first_referral_id, $2),
                handed_over = handed_over OR $3,
                handed_over_at = CASE WHEN $3 THEN now() ELSE handed_over_at END,
                handover_note = CASE WHEN $3 THEN $4 ELSE handover_note END,
                updated_at = now()
          WHERE id = $1 AND ($2::uuid IS NOT NULL OR $3)
       ), reply AS (
         INSERT INTO replies (bot_id, conversation_id, channel, status)
         SELECT $5, $1, $6, 'pending' WHERE cardinality($8::varchar[]) > 0
         RETURNING id
       ), sent AS (
         INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, kind, text, payload, status, occurred_at)
         SELECT $5, $1, 'out', reply.id, m.position - 1, m.kind, m.text, m.payload, 'pending', $7
           FROM reply, unnest($8::varchar[], $9::text[], $10::jsonb[]) WITH ORDINALITY AS m(kind, text, payload, position)
       )
       SELECT (SELECT id FROM reply) AS "replyId"`,
      [
        conversation.id,
        change.referralId,
        change.handover !== null,
        change.handover?.note ?? null,
        conversation.botId,
        conversation.channel,
        occurredAt,
        messages.map((message) => message.kind),
        messages.map((message) => message.text),
        messages.map((message) => JSON.stringify(message.payload)),
      ],
    );
    return row?.replyId ?? null;
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
