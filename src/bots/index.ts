export { ApiBotScoped, BotExistsPipe, BotIdParam } from './bot-id.param';
export { BotErrors } from './bots.errors';
export { BotsModule } from './bots.module';
export { BotsHttpModule } from './bots-http.module';
export {
  AnswerSettingsCheck,
  type BotAnswerSettings,
  type BotLinkTargets,
  BotsService,
  DEFAULT_WELCOME,
  type MessengerPage,
  type ModuleUsageOfBot,
  type WidgetBot,
} from './bots.service';
export { Bot } from './entities/bot.entity';
export { MessengerConnection } from './entities/messenger-connection.entity';
