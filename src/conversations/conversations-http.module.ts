import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { ConversationsController } from './conversations.controller';
import { ConversationsModule } from './conversations.module';

/**
 * ConversationsModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [ConversationsModule, BotsModule],
  controllers: [ConversationsController],
})
export class ConversationsHttpModule {}
