import { Module } from '@nestjs/common';
import { BotsController } from './bots.controller';
import { BotsModule } from './bots.module';

/**
 * BotsModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  imports: [BotsModule],
  controllers: [BotsController],
})
export class BotsHttpModule {}
