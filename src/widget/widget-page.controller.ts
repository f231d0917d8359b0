import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { Public } from '../common/http/access.decorators';
import { type Asset, WidgetPageService } from './widget-page.service';

const TYPES: Record<Asset, string> = {
  'widget.js': 'application/javascript; charset=utf-8',
  'chat.js': 'application/javascript; charset=utf-8',
  'chat.css': 'text/css; charset=utf-8',
};

/**
 * The hosted chat page and the browser client's files: pages and scripts for browsers, not API
 * operations, so they stay out of the OpenAPI document (the Chat API they call is in it).
 */
@ApiExcludeController()
@Public()
@Controller()
export class WidgetPageController {
  constructor(private readonly pages: WidgetPageService) {}

  @Get('chat/:widgetKey')
  async page(
    @Param('widgetKey') widgetKey: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const page = await this.pages.page(widgetKey, {
      ref: typeof query.ref === 'string' ? query.ref : undefined,
      embed: typeof query.embed === 'string' ? query.embed : undefined,
      page: typeof query.page === 'string' ? query.page : undefined,
    });
    await reply
      .code(page.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-store')
      .send(page.html);
  }

  @Get('widget.js')
  widget(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'widget.js');
  }

  @Get('widget/chat.js')
  chat(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'chat.js');
  }

  @Get('widget/chat.css')
  css(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'chat.css');
  }

  private async send(reply: FastifyReply, name: Asset): Promise<void> {
    await reply
      .header('content-type', TYPES[name])
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .header('access-control-allow-origin', '*')
      .send(this.pages.asset(name));
  }
}
