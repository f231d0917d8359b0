import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConversationErrors } from './conversations.errors';
import { ConversationsQueryService } from './conversations-query.service';
import { ConversationsService } from './conversations.service';
import { type ConversationDto } from './dto/conversation.dto';
import { Conversation } from './entities/conversation.entity';
import { RenderReply } from './render-reply';
import { StoreReplies } from './store-replies';
import { UpdateConversationState } from './update-conversation-state';

/** The management API's one write on conversations: ending a handover (`POST .../release`). */
@Injectable()
export class ConversationRelease {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly renderReply: RenderReply,
    private readonly storeReplies: StoreReplies,
    private readonly updateState: UpdateConversationState,
    private readonly conversations: ConversationsService,
    private readonly query: ConversationsQueryService,
  ) {}

  /**
   * Gives a handed-over conversation back to the bot. On a channel where threads have an owner app
   * (Messenger), the thread is taken back too (take_thread_control), as a queued action that is
   * retried like a send. Releasing a conversation the bot has is a no-op.
   */
  async release(botId: string, conversationId: string): Promise<ConversationDto> {
    const replyId = await this.dataSource.transaction(async (tx) => {
      const conversation = await tx.findOne(Conversation, {
        where: { id: conversationId, botId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!conversation) throw ConversationErrors.notFound();
      if (!conversation.handedOver) return null;
      await this.updateState.apply(tx, [
        { conversationId: conversation.id, handover: false, handoverNote: null, release: true },
      ]);
      const take = this.renderReply.threadControl(conversation.channel, {
        action: 'take',
        targetAppId: null,
        metadata: 'Released to the bot',
      });
      if (!take) return null;
      const [stored] = await this.storeReplies.store(tx, [
        {
          conversation: { id: conversation.id, botId, channel: conversation.channel },
          messages: [take],
          occurredAt: new Date(),
        },
      ]);
      return stored.replyId;
    });
    if (replyId) await this.conversations.enqueueReplies([replyId]);
    return this.query.get(botId, conversationId);
  }
}
