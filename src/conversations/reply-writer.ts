import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Channel, type Contact } from '../contacts';
import { type Content, CreatorService, type PersonalisationContext } from '../creator';

type Payload = Record<string, unknown>;

/** A rendered text can come out empty (a lone placeholder without a value); channels refuse those. */
function isEmpty(payload: Payload): boolean {
  return payload.text === '' && payload.attachment === undefined;
}

/** Renders content for the conversation's channel and stores it as a pending reply. */
@Injectable()
export class ReplyWriter {
  constructor(private readonly creator: CreatorService) {}

  async write(
    tx: EntityManager,
    conversation: { id: string; botId: string; channel: Channel },
    contact: Contact,
    content: Content,
    trackingParam: string | null,
    occurredAt: Date,
  ): Promise<string | null> {
    const ctx: PersonalisationContext = {
      contact: { firstName: contact.firstName, lastName: contact.lastName },
      referral: { trackingParam },
    };
    const rendered = this.render(conversation.channel, content, ctx)
      .map((payload, index) => ({ payload, kind: content.messages[index]?.type ?? 'text' }))
      .filter((message) => !isEmpty(message.payload));
    if (rendered.length === 0) return null;
    const replies = await tx.query<{ id: string }[]>(
      `INSERT INTO replies (bot_id, conversation_id, channel, status) VALUES ($1, $2, $3, 'pending') RETURNING id`,
      [conversation.botId, conversation.id, conversation.channel],
    );
    const replyId = replies[0].id;
    await tx.query(
      `INSERT INTO messages (bot_id, conversation_id, direction, reply_id, position, kind, text, payload, status, occurred_at)
       SELECT $1, $2, 'out', $3, position - 1, kind, text, payload, 'pending', $4
         FROM unnest($5::varchar[], $6::text[], $7::jsonb[]) WITH ORDINALITY AS m(kind, text, payload, position)`,
      [
        conversation.botId,
        conversation.id,
        replyId,
        occurredAt,
        rendered.map((message) => message.kind),
        rendered.map((message) =>
          typeof message.payload.text === 'string' ? message.payload.text : null,
        ),
        rendered.map((message) => JSON.stringify(message.payload)),
      ],
    );
    return replyId;
  }

  private render(channel: Channel, content: Content, ctx: PersonalisationContext): Payload[] {
    switch (channel) {
      case 'messenger':
        return this.creator.renderForMessenger(content, ctx) as unknown as Payload[];
      case 'widget':
        return this.creator.renderForWidget(content, ctx);
    }
  }
}
