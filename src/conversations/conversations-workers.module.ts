import { Module } from '@nestjs/common';
import { ConversationsModule } from './conversations.module';
import { OutboundWorker } from './jobs/outbound.worker';
import { ReplySweeperTask } from './jobs/reply-sweeper.task';

/**
 * Conversations' job-taking side: the `outbound` processor and the reply sweeper. Only processes
 * whose PROCESS_ROLE runs workers import it (`AppModule.forRoot`).
 */
@Module({
  imports: [ConversationsModule],
  providers: [OutboundWorker, ReplySweeperTask],
})
export class ConversationsWorkersModule {}
