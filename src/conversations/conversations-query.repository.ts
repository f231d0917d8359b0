import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';

/**
 * The management API's reads of `conversations` and `messages` (ConversationsQueryService):
 * keyset pages, newest first, each scoped to its bot.
 */
@Injectable()
export class ConversationsQueryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Up to `take` of the bot's conversations after `cursor`, newest first; with `handedOver`, only
   * those a human agent has (true) or the bot has (false).
   */
  pageOfConversations(
    botId: string,
    handedOver: boolean | undefined,
    cursor: CreatedCursor | undefined,
    take: number,
  ): Promise<Conversation[]> {
    const builder = this.dataSource.manager
      .createQueryBuilder(Conversation, 'c')
      .where('c.botId = :botId', { botId })
      .orderBy('c.createdAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(take);
    if (handedOver !== undefined) builder.andWhere('c.handedOver = :handedOver', { handedOver });
    if (cursor) builder.andWhere('(c.createdAt, c.id) < (:createdAt, :id)', cursor);
    return builder.getMany();
  }

  /** The bot's conversation of that id; null when there is none (or it is another bot's). */
  findConversation(botId: string, conversationId: string): Promise<Conversation | null> {
    return this.dataSource.manager.findOneBy(Conversation, { id: conversationId, botId });
  }

  /** Up to `take` messages of the bot's conversation after `cursor`, newest first. */
  pageOfMessages(
    botId: string,
    conversationId: string,
    cursor: CreatedCursor | undefined,
    take: number,
  ): Promise<Message[]> {
    const builder = this.dataSource.manager
      .createQueryBuilder(Message, 'm')
      .where('m.conversationId = :conversationId AND m.botId = :botId', { conversationId, botId })
      .orderBy('m.createdAt', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(take);
    if (cursor) builder.andWhere('(m.createdAt, m.id) < (:createdAt, :id)', cursor);
    return builder.getMany();
  }
}
