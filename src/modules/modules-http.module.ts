import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { ModulesController } from './modules.controller';
import { ModulesModule } from './modules.module';

/**
 * ModulesModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [ModulesModule, BotsModule],
  controllers: [ModulesController],
})
export class ModulesHttpModule {}
