import { Module } from '@nestjs/common';
import { MessengerInboundWorker } from './inbound/inbound.worker';
import { InboxPurgeTask } from './inbound/inbox-purge.task';
import { InboxSweeperTask } from './inbound/inbox-sweeper.task';
import { MessengerModule } from './messenger.module';

/**
 * Messenger's job-taking side: the `messenger-inbound` processor and the inbox's maintenance
 * tasks. Only processes whose PROCESS_ROLE runs workers import it (`AppModule.forRoot`).
 */
@Module({
  imports: [MessengerModule],
  providers: [MessengerInboundWorker, InboxSweeperTask, InboxPurgeTask],
})
export class MessengerWorkersModule {}
