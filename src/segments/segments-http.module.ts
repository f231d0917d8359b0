import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { SegmentsController } from './segments.controller';
import { SegmentsModule } from './segments.module';

/**
 * SegmentsModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [SegmentsModule, BotsModule],
  controllers: [SegmentsController],
})
export class SegmentsHttpModule {}
