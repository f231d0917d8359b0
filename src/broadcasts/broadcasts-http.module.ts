import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { BroadcastsController } from './broadcasts.controller';
import { BroadcastsModule } from './broadcasts.module';

/**
 * BroadcastsModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [BroadcastsModule, BotsModule],
  controllers: [BroadcastsController],
})
export class BroadcastsHttpModule {}
