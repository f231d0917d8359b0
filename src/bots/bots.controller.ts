import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/http/access.decorators';
import { ApiErrors } from '../common/errors';
import { type Page, PageOf, PageQueryDto } from '../common/pagination';
import { ApiBotScoped, BotIdParam } from './bot-id.param';
import { BotsService } from './bots.service';
import { BotDto } from './dto/bot.dto';
import { ConnectMessengerDto } from './dto/connect-messenger.dto';
import { CreateBotDto } from './dto/create-bot.dto';
import { UpdateBotDto } from './dto/update-bot.dto';

const BotPageDto = PageOf(BotDto);

@ApiTags('Bots')
@ApiBearerAuth()
@ApiErrors(401)
@Controller('api/v1/bots')
export class BotsController {
  constructor(private readonly bots: BotsService) {}

  @Post()
  @AdminOnly()
  @ApiOperation({ summary: 'Create a bot (admin)' })
  @ApiErrors(400, 403)
  create(@Body() dto: CreateBotDto): Promise<BotDto> {
    return this.bots.create(dto);
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'List bots, newest first (admin)' })
  @ApiErrors(400, 403)
  @ApiOkResponse({ type: BotPageDto })
  list(@Query() query: PageQueryDto): Promise<Page<BotDto>> {
    return this.bots.list(query);
  }

  @Get(':botId')
  @ApiBotScoped()
  @ApiOperation({ summary: 'Get a bot' })
  @ApiErrors(404)
  get(@BotIdParam() botId: string): Promise<BotDto> {
    return this.bots.get(botId);
  }

  @Patch(':botId')
  @ApiBotScoped()
  @ApiOperation({ summary: 'Update a bot' })
  @ApiErrors(400, 404)
  update(@BotIdParam() botId: string, @Body() dto: UpdateBotDto): Promise<BotDto> {
    return this.bots.update(botId, dto);
  }

  @Delete(':botId')
  @AdminOnly()
  @ApiBotScoped()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a bot and everything it owns (admin)' })
  @ApiErrors(403, 404)
  remove(@BotIdParam() botId: string): Promise<void> {
    return this.bots.remove(botId);
  }

  @Put(':botId/channels/messenger')
  @ApiBotScoped()
  @ApiOperation({
    summary: 'Connect (or reconnect) a Facebook Page',
    description:
      'The page access token is stored encrypted and never returned. A page belongs to one bot only.',
  })
  @ApiErrors(400, 404, 409)
  connectMessenger(@BotIdParam() botId: string, @Body() dto: ConnectMessengerDto): Promise<BotDto> {
    return this.bots.connectMessenger(botId, dto);
  }

  @Delete(':botId/channels/messenger')
  @ApiBotScoped()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Disconnect the Facebook Page' })
  @ApiErrors(404)
  disconnectMessenger(@BotIdParam() botId: string): Promise<void> {
    return this.bots.disconnectMessenger(botId);
  }

  @Post(':botId/channels/widget/rotate-key')
  @AdminOnly()
  @ApiBotScoped()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Replace the widget key (admin)',
    description:
      'For a leaked key: a new `widgetKey` is made and the old one stops working at once; sites ' +
      'must embed the new one. Visitor sessions stay valid.',
  })
  @ApiErrors(403, 404)
  rotateWidgetKey(@BotIdParam() botId: string): Promise<BotDto> {
    return this.bots.rotateWidgetKey(botId);
  }
}
