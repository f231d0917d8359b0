import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { ApiKeysController } from './api-keys.controller';
import { AuthModule } from './auth.module';

/**
 * AuthModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [AuthModule, BotsModule],
  controllers: [ApiKeysController],
})
export class AuthHttpModule {}
