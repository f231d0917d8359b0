import { Module } from '@nestjs/common';
import { MessengerWebhookController } from './messenger-webhook.controller';
import { MessengerModule } from './messenger.module';

/**
 * MessengerModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  imports: [MessengerModule],
  controllers: [MessengerWebhookController],
})
export class MessengerHttpModule {}
