import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { Public } from '../common/http/access.decorators';
import { ApiErrors } from '../common/errors';
import {
  WidgetAcceptedDto,
  WidgetIdentifyDto,
  WidgetMessagesDto,
  WidgetMessagesQueryDto,
  WidgetReceiptDto,
  WidgetReferralDto,
  WidgetSendMessageDto,
  WidgetSessionDto,
  WidgetStartSessionDto,
} from './dto/widget.dto';
import { WidgetErrors } from './widget.errors';
import { SESSION_HEADER, WidgetRateGuard } from './widget-rate.guard';
import { WidgetService } from './widget.service';
import { WidgetSse } from './widget-sse';

const CURSOR = /^\d{1,18}$/;

const SessionHeader = (): MethodDecorator =>
  ApiHeader({ name: 'X-Widget-Session', required: true, description: 'The session token.' });

/**
 * The public Chat API of the website widget and hosted chat page: anyone holding a widget key may
 * call it (the key is public); a visitor's calls carry their session token.
 */
@ApiTags('Widget Chat API')
@Public()
@ApiParam({ name: 'widgetKey', description: "The bot's public widget key (wk_...)." })
@ApiErrors(404, 429)
@UseGuards(WidgetRateGuard)
@Controller('api/v1/widget/:widgetKey')
export class WidgetController {
  constructor(
    private readonly widget: WidgetService,
    private readonly sse: WidgetSse,
  ) {}

  @Post('sessions')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Start or resume a visitor session',
    description:
      'With a known `token`: the same session and contact (a returning visitor). Otherwise a new ' +
      'visitor and token. A `ref` is handled as a WIDGET_LINK referral; a new visitor without one ' +
      'gets the welcome. Answers arrive on the stream.',
  })
  @ApiErrors(400)
  start(
    @Param('widgetKey') widgetKey: string,
    @Body() dto: WidgetStartSessionDto,
  ): Promise<WidgetSessionDto> {
    return this.widget.start(widgetKey, dto);
  }

  @Post('referral')
  @HttpCode(HttpStatus.ACCEPTED)
  @SessionHeader()
  @ApiOperation({
    summary: 'Send a referral into the open session (BotWidget.referral)',
    description: 'Recorded as an entry with source WIDGET_API and the page URL as referer.',
  })
  @ApiErrors(400, 401)
  async referral(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Body() dto: WidgetReferralDto,
  ): Promise<WidgetAcceptedDto> {
    await this.widget.referral(await this.widget.session(widgetKey, token), dto);
    return { accepted: true };
  }

  @Post('messages')
  @HttpCode(HttpStatus.ACCEPTED)
  @SessionHeader()
  @ApiOperation({ summary: 'Send a text, a quick-reply tap or a button tap' })
  @ApiErrors(400, 401)
  async send(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Body() dto: WidgetSendMessageDto,
  ): Promise<WidgetAcceptedDto> {
    await this.widget.message(await this.widget.session(widgetKey, token), dto);
    return { accepted: true };
  }

  @Post('identify')
  @HttpCode(HttpStatus.OK)
  @SessionHeader()
  @ApiOperation({
    summary: "Fill the visitor's names (BotWidget.identify)",
    description:
      'Names personalise answers ({{contact.firstName}}); externalId is the site’s own id.',
  })
  @ApiErrors(400, 401)
  async identify(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Body() dto: WidgetIdentifyDto,
  ): Promise<WidgetAcceptedDto> {
    await this.widget.identify(await this.widget.session(widgetKey, token), dto);
    return { accepted: true };
  }

  @Post('receipts')
  @HttpCode(HttpStatus.OK)
  @SessionHeader()
  @ApiOperation({
    summary: "Report the bot's messages delivered or read (watermark)",
    description:
      'Watermark style, like Messenger: every message up to `watermark` (a message id from the ' +
      'stream) was shown (`delivered`) or seen with the chat visible (`read`). Moves the referral ' +
      'funnel (answersDelivered, answersRead on channel widget); repeating a receipt or sending an ' +
      'older one counts nothing twice. widget.js sends them by itself.',
  })
  @ApiErrors(400, 401)
  async receipt(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Body() dto: WidgetReceiptDto,
  ): Promise<WidgetAcceptedDto> {
    await this.widget.receipt(await this.widget.session(widgetKey, token), dto);
    return { accepted: true };
  }

  @Get('messages')
  @SessionHeader()
  @ApiOperation({ summary: "Poll the bot's messages after a cursor (fallback to the stream)" })
  @ApiOkResponse({ type: WidgetMessagesDto })
  @ApiErrors(400, 401)
  async poll(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Query() query: WidgetMessagesQueryDto,
  ): Promise<WidgetMessagesDto> {
    return this.widget.messages(await this.widget.session(widgetKey, token), query.after);
  }

  @Get('stream')
  @SessionHeader()
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this message.' })
  @ApiOperation({
    summary: "The bot's messages as Server-Sent Events",
    description:
      'One stream per session: `id` (the cursor), `event: message`, `data` a WidgetMessage as JSON. ' +
      'Resumes after Last-Event-ID (or `after`); without either, from the first message.',
  })
  @ApiOkResponse({
    description: 'Server-Sent Events until the client closes the stream.',
    content: {
      'text/event-stream': {
        schema: { type: 'string', example: 'id: 42\nevent: message\ndata: {"id":"42",...}\n\n' },
      },
    },
  })
  @ApiErrors(400, 401)
  async stream(
    @Param('widgetKey') widgetKey: string,
    @Headers(SESSION_HEADER) token: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query() query: WidgetMessagesQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = lastEventId ?? query.after ?? '0';
    if (!CURSOR.test(after)) throw WidgetErrors.cursorInvalid();
    const session = await this.widget.session(widgetKey, token);
    reply.hijack();
    const headers = Object.fromEntries(
      Object.entries(reply.getHeaders()).map(([name, value]) => [name, String(value)]),
    );
    await this.sse.start(session, after, reply.raw, headers);
  }
}
