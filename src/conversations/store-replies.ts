import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { type Channel } from '../contacts';
import { type AnsweredEntry } from '../referrals';
import { ConversationsRepository } from './conversations.repository';
import { type RenderedMessage } from './render-reply';
import { SendClaims } from './send-claims';

/** A reply to store: its conversation and its rendered messages, in order (at least one). */
export interface ReplyToStore {
  conversation: { id: string; botId: string; channel: Channel };
  messages: RenderedMessage[];
  occurredAt: Date;
  /**
   * The send that follows the commit runs in this process, from the reply in hand: its messages
   * are stored already claimed for it (when the claim session is up), so it claims with no
   * statement of its own (see SendClaims.holdClaimed).
   */
  sendHere?: boolean;
  /** The referral entry it answers, tied to it as it is stored. */
  answers?: AnsweredEntry;
}

/** A stored reply: its id and its messages' ids, in order; `claimed` when stored claimed. */
export interface StoredReply {
  replyId: string;
  /**
   * Known once the statement storing them ran: in a pipelined transaction it travels with the
   * transaction's next statement (preparedCarried), so await them only once that one was issued
   * (after the commit). Never an unhandled rejection.
   */
  messageIds: Promise<string[]>;
  claimed: boolean;
}

/**
 * Stores replies as pending, with their messages and the referral entries they answer, in one
 * statement (ConversationsRepository), which in the inbound batch's pipelined transaction travels
 * with the next statement (its sent marks and COMMIT): nothing before the commit needs its result.
 */
@Injectable()
export class StoreReplies {
  constructor(
    private readonly repository: ConversationsRepository,
    private readonly claims: SendClaims,
  ) {}

  /** Stores the replies; results in the order given. */
  async store(tx: EntityManager, replies: ReplyToStore[]): Promise<StoredReply[]> {
    if (replies.length === 0) return [];
    const token = replies.some((reply) => reply.sendHere) ? this.claims.claimToken() : null;
    // Ids made here tie each reply to its messages within the one statement.
    const records = replies.map((reply) => ({
      replyId: randomUUID(),
      conversationId: reply.conversation.id,
      botId: reply.conversation.botId,
      channel: reply.conversation.channel,
      occurredAt: reply.occurredAt,
      messages: reply.messages,
      claimedBy: reply.sendHere ? token : null,
    }));
    const answers = replies.flatMap((reply, k) =>
      reply.answers ? [{ ...reply.answers, replyId: records[k].replyId }] : [],
    );
    const { result } = await this.repository.storeReplies(tx, records, answers);
    const idsByReply = result.then((stored) => {
      const ids = new Map<string, string[]>();
      for (const message of [...stored].sort((a, b) => a.position - b.position)) {
        ids.set(message.replyId, [...(ids.get(message.replyId) ?? []), message.id]);
      }
      // Before any send of them starts: the sends follow the commit, which comes with this.
      const claimed = records.filter((record) => record.claimedBy !== null);
      this.claims.holdClaimed(claimed.flatMap((record) => ids.get(record.replyId) ?? []));
      return ids;
    });
    return records.map((record) => {
      const messageIds = idsByReply.then((ids) => ids.get(record.replyId) ?? []);
      messageIds.catch(() => undefined);
      return { replyId: record.replyId, messageIds, claimed: record.claimedBy !== null };
    });
  }
}
