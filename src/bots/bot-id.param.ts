import { applyDecorators } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { IdParam } from '../common/http/id-param';
import { BotErrors } from './bots.errors';

/** The `{botId}` path parameter of every bot-scoped route. */
export const BotIdParam = (): ParameterDecorator => IdParam('botId', BotErrors.notFound);

/** Documents `{botId}` on a controller whose routes are all bot-scoped. */
export const ApiBotScoped = (): ClassDecorator & MethodDecorator =>
  applyDecorators(ApiParam({ name: 'botId', format: 'uuid', description: 'The bot (tenant).' }));
