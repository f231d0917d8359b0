import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { type Page, PageOf, PageQueryDto } from '../common/pagination';
import { BroadcastErrors } from './broadcasts.errors';
import { BroadcastsService } from './broadcasts.service';
import {
  BroadcastDto,
  BroadcastPreviewDto,
  RecipientDto,
  RecipientsQueryDto,
} from './dto/broadcast.dto';
import { CreateBroadcastDto, PreviewBroadcastDto } from './dto/create-broadcast.dto';

const BroadcastPageDto = PageOf(BroadcastDto);
const RecipientPageDto = PageOf(RecipientDto);
const BroadcastId = (): ParameterDecorator => IdParam('broadcastId', BroadcastErrors.notFound);

@ApiTags('Broadcasts')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/broadcasts')
export class BroadcastsController {
  constructor(private readonly broadcasts: BroadcastsService) {}

  @Post('preview')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Count who a broadcast to this audience would reach now, and why others would be skipped',
  })
  @ApiOkResponse({ type: BroadcastPreviewDto })
  @ApiErrors(400)
  preview(
    @BotIdParam() botId: string,
    @Body() dto: PreviewBroadcastDto,
  ): Promise<BroadcastPreviewDto> {
    return this.broadcasts.preview(botId, dto);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a broadcast: sending at once, or scheduled for a future sendAt',
  })
  @ApiCreatedResponse({ type: BroadcastDto })
  @ApiErrors(400)
  create(@BotIdParam() botId: string, @Body() dto: CreateBroadcastDto): Promise<BroadcastDto> {
    return this.broadcasts.create(botId, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the bot's broadcasts with their counts, newest first" })
  @ApiOkResponse({ type: BroadcastPageDto })
  @ApiErrors(400)
  list(@BotIdParam() botId: string, @Query() query: PageQueryDto): Promise<Page<BroadcastDto>> {
    return this.broadcasts.list(botId, query);
  }

  @Get(':broadcastId')
  @ApiOperation({ summary: 'Get a broadcast with its status and recipient counts' })
  @ApiOkResponse({ type: BroadcastDto })
  get(@BotIdParam() botId: string, @BroadcastId() id: string): Promise<BroadcastDto> {
    return this.broadcasts.get(botId, id);
  }

  @Post(':broadcastId/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a sending broadcast after the round of sends in flight' })
  @ApiOkResponse({ type: BroadcastDto })
  @ApiErrors(409)
  pause(@BotIdParam() botId: string, @BroadcastId() id: string): Promise<BroadcastDto> {
    return this.broadcasts.pause(botId, id);
  }

  @Post(':broadcastId/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused broadcast with its pending recipients' })
  @ApiOkResponse({ type: BroadcastDto })
  @ApiErrors(409)
  resume(@BotIdParam() botId: string, @BroadcastId() id: string): Promise<BroadcastDto> {
    return this.broadcasts.resume(botId, id);
  }

  @Post(':broadcastId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a scheduled, sending or paused broadcast' })
  @ApiOkResponse({ type: BroadcastDto })
  @ApiErrors(409)
  cancel(@BotIdParam() botId: string, @BroadcastId() id: string): Promise<BroadcastDto> {
    return this.broadcasts.cancel(botId, id);
  }

  @Get(':broadcastId/recipients')
  @ApiOperation({
    summary: "List a broadcast's recipients with each skip or failure's reason and Meta's code",
  })
  @ApiOkResponse({ type: RecipientPageDto })
  @ApiErrors(400)
  recipients(
    @BotIdParam() botId: string,
    @BroadcastId() id: string,
    @Query() query: RecipientsQueryDto,
  ): Promise<Page<RecipientDto>> {
    return this.broadcasts.recipients(botId, id, query);
  }
}
