import { Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { type Page, PageOf, PageQueryDto } from '../common/pagination';
import { ConversationRelease } from './conversation-release';
import { ConversationsQueryService } from './conversations-query.service';
import { ConversationErrors } from './conversations.errors';
import { ConversationDto, ListConversationsQueryDto, MessageDto } from './dto/conversation.dto';

const ConversationPageDto = PageOf(ConversationDto);
const MessagePageDto = PageOf(MessageDto);
const ConversationIdParam = (): ParameterDecorator =>
  IdParam('conversationId', ConversationErrors.notFound);

@ApiTags('Conversations')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsQueryService,
    private readonly releases: ConversationRelease,
  ) {}

  @Get()
  @ApiOperation({
    summary: "List the bot's conversations, newest first; `handedOver=true` for an agent's queue",
  })
  @ApiOkResponse({ type: ConversationPageDto })
  @ApiErrors(400)
  list(
    @BotIdParam() botId: string,
    @Query() query: ListConversationsQueryDto,
  ): Promise<Page<ConversationDto>> {
    return this.conversations.list(botId, query);
  }

  @Get(':conversationId')
  @ApiOperation({ summary: 'Get a conversation' })
  get(
    @BotIdParam() botId: string,
    @ConversationIdParam() conversationId: string,
  ): Promise<ConversationDto> {
    return this.conversations.get(botId, conversationId);
  }

  @Get(':conversationId/messages')
  @ApiOperation({
    summary: 'The message log, newest first, with the delivery status of outbound messages',
  })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiErrors(400)
  messages(
    @BotIdParam() botId: string,
    @ConversationIdParam() conversationId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<MessageDto>> {
    return this.conversations.messages(botId, conversationId, query);
  }

  @Post(':conversationId/release')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Give a handed-over conversation back to the bot',
    description:
      "On Messenger the thread is taken back from the agent's app with take_thread_control (queued, " +
      'retried like a send). Releasing a conversation the bot already has changes nothing.',
  })
  release(
    @BotIdParam() botId: string,
    @ConversationIdParam() conversationId: string,
  ): Promise<ConversationDto> {
    return this.releases.release(botId, conversationId);
  }
}
