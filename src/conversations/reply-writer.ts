import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { type Content, CreatorService, type PersonalisationContext } from '../creator';
import { ConversationsRepository } from './conversations.repository';
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

/** Renders answers for a channel and stores them with the conversations' changes (ConversationsRepository). */
@Injectable()
export class ReplyWriter {
  constructor(
    private readonly creator: CreatorService,
    private readonly repository: ConversationsRepository,
  ) {}

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
    return (await this.write(tx, writes)).map((written) => written.replyId);
  }

  /** `writeMany`, with the stored messages' ids of each reply, in order. */
  async write(
    tx: EntityManager,
    writes: ReplyWrite[],
  ): Promise<{ replyId: string | null; messageIds: string[] }[]> {
    if (writes.length === 0) return [];
    if (new Set(writes.map((w) => w.conversation.id)).size !== writes.length)
      throw new Error('writeMany: one write per conversation');
    // Ids made here tie each reply to its messages within the one statement.
    const replyIds = writes.map((w) => (w.messages.length > 0 ? randomUUID() : null));
    const stored = await this.repository.storeReplies(
      tx,
      writes.map((w, index) => ({
        conversationId: w.conversation.id,
        botId: w.conversation.botId,
        channel: w.conversation.channel,
        referralId: w.change.referralId,
        handover: w.change.handover !== null,
        handoverNote: w.change.handover?.note ?? null,
        release: w.change.release === true,
        occurredAt: w.occurredAt,
        replyId: replyIds[index],
        messages: w.messages,
      })),
    );
    const ids = new Map<string, string[]>();
    for (const message of [...stored].sort((a, b) => a.position - b.position)) {
      ids.set(message.replyId, [...(ids.get(message.replyId) ?? []), message.id]);
    }
    return replyIds.map((replyId) => ({
      replyId,
      messageIds: replyId ? (ids.get(replyId) ?? []) : [],
    }));
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
