import { applyDecorators, Injectable, Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ParseIdPipe } from '../common/http/id-param';
import { BotErrors } from './bots.errors';
import { BotsService } from './bots.service';

/** Answers BOT_NOT_FOUND before any bot-scoped work starts. */
@Injectable()
export class BotExistsPipe implements PipeTransform<string, Promise<string>> {
  constructor(private readonly bots: BotsService) {}

  async transform(botId: string): Promise<string> {
    await this.bots.assertExists(botId);
    return botId;
  }
}

/** The `{botId}` path parameter of every bot-scoped route: a UUID of a bot that exists. */
export const BotIdParam = (): ParameterDecorator =>
  Param('botId', new ParseIdPipe(BotErrors.notFound), BotExistsPipe);

/** Documents `{botId}` on a controller or route that is bot-scoped. */
export const ApiBotScoped = (): ClassDecorator & MethodDecorator =>
  applyDecorators(ApiParam({ name: 'botId', format: 'uuid', description: 'The bot (tenant).' }));
