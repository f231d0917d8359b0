import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/http/access.decorators';
import { ApiErrors } from '../../common/errors';
import { TrackedLinksService } from './tracked-links.service';

/** The public tracked link of a referral: counts the click, then sends the person on. */
@ApiTags('Tracked links')
@Public()
@Controller('r')
export class TrackedLinksController {
  constructor(private readonly links: TrackedLinksService) {}

  @Get(':botId/:trackingParam')
  @ApiOperation({
    summary: "Follow a referral's tracked link",
    description:
      "Records a click and answers 302 to the referral's Messenger link, or to its widget page when the bot " +
      'has no Facebook Page or `to=widget`. An unknown or inactive param still reaches the bot (its page ' +
      'without a ref) and is recorded as unknown. Crawlers and link previews (per `isbot`, HEAD requests and ' +
      'requests without a User-Agent) count as `botClicks`. Other query parameters (e.g. utm_*) are ignored.',
  })
  @ApiParam({ name: 'botId', format: 'uuid' })
  @ApiParam({ name: 'trackingParam', description: "The referral's tracking param." })
  @ApiQuery({ name: 'to', required: false, enum: ['messenger', 'widget'] })
  @ApiFoundResponse({
    description: 'Redirect to the Messenger link or the widget page',
    headers: { location: { schema: { type: 'string', format: 'uri' } } },
  })
  @ApiErrors(404, 503)
  async follow(
    @Param('botId') botId: string,
    @Param('trackingParam') trackingParam: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = request.query as Record<string, unknown>;
    const location = await this.links.follow({
      botId,
      trackingParam,
      to: typeof query.to === 'string' ? query.to : undefined,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      method: request.method,
    });
    // Never cached: every click must reach the server to be counted.
    await reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .redirect(location, 302);
  }
}
