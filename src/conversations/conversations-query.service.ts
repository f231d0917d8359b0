import { Injectable } from '@nestjs/common';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { ConversationsQueryRepository } from './conversations-query.repository';
import { ConversationErrors } from './conversations.errors';
import {
  type ConversationDto,
  type ListConversationsQueryDto,
  type MessageDto,
} from './dto/conversation.dto';
import { type Conversation } from './entities/conversation.entity';

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
  constructor(private readonly repository: ConversationsQueryRepository) {}

  async list(botId: string, query: ListConversationsQueryDto): Promise<Page<ConversationDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const conversations = await this.repository.pageOfConversations(
      botId,
      query.handedOver,
      cursor,
      query.limit + 1,
    );
    return toPage(conversations, query.limit, toDto);
  }

  async get(botId: string, conversationId: string): Promise<ConversationDto> {
    const conversation = await this.repository.findConversation(botId, conversationId);
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
    const messages = await this.repository.pageOfMessages(
      botId,
      conversationId,
      cursor,
      query.limit + 1,
    );
    return toPage(messages, query.limit, (m) => ({
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
