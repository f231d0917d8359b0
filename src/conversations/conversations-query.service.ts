import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { ConversationErrors } from './conversations.errors';
import {
  type ConversationDto,
  type ListConversationsQueryDto,
  type MessageDto,
} from './dto/conversation.dto';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';

function toDto(c: Conversation): ConversationDto {
  return {
    id: c.id,
    contactId: c.contactId,
    channel: c.channel,
    startedAt: c.startedAt,
    lastInboundAt: c.lastInboundAt,
    handedOver: c.handedOver,
    handedOverAt: c.handedOverAt,
    handoverNote: c.handoverNote,
    firstReferralId: c.firstReferralId,
    lastReferralId: c.lastReferralId,
  };
}

/** The management API's read side of conversations: reads only (releasing one: conversation-release.ts). */
@Injectable()
export class ConversationsQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(botId: string, query: ListConversationsQueryDto): Promise<Page<ConversationDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const builder = this.dataSource.manager
      .createQueryBuilder(Conversation, 'c')
      .where('c.botId = :botId', { botId })
      .orderBy('c.createdAt', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(query.limit + 1);
    if (query.handedOver !== undefined)
      builder.andWhere('c.handedOver = :handedOver', { handedOver: query.handedOver });
    if (cursor) builder.andWhere('(c.createdAt, c.id) < (:createdAt, :id)', cursor);
    return toPage(await builder.getMany(), query.limit, toDto);
  }

  async get(botId: string, conversationId: string): Promise<ConversationDto> {
    const conversation = await this.dataSource.manager.findOneBy(Conversation, {
      id: conversationId,
      botId,
    });
    if (!conversation) throw ConversationErrors.notFound();
    return toDto(conversation);
  }

  /** The message log, newest first. */
  async messages(
    botId: string,
    conversationId: string,
    query: PageQueryDto,
  ): Promise<Page<MessageDto>> {
    await this.get(botId, conversationId);
    const cursor = decodeCursor(query.cursor, 'bigint');
    const builder = this.dataSource.manager
      .createQueryBuilder(Message, 'm')
      .where('m.conversationId = :conversationId AND m.botId = :botId', { conversationId, botId })
      .orderBy('m.createdAt', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .take(query.limit + 1);
    if (cursor) builder.andWhere('(m.createdAt, m.id) < (:createdAt, :id)', cursor);
    return toPage(await builder.getMany(), query.limit, (m) => ({
      id: m.id,
      direction: m.direction,
      // One field in the API, as before the columns were split: a row has exactly one of them.
      kind: (m.eventKind ?? m.contentType)!,
      text: m.text,
      status: m.status,
      errorCode: m.errorCode,
      errorMessage: m.errorMessage,
      occurredAt: m.occurredAt,
      sentAt: m.sentAt,
    }));
  }
}
