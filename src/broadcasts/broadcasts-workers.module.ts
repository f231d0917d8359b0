import { Module } from '@nestjs/common';
import { BroadcastsModule } from './broadcasts.module';
import { BroadcastDriverTask } from './jobs/broadcast-driver.task';
import { BroadcastWorker } from './jobs/broadcast.worker';

/**
 * Broadcasts' job-taking side: the `broadcasts` processor and the task that starts and re-queues
 * runs. Only processes whose PROCESS_ROLE runs workers import it (`AppModule.forRoot`).
 */
@Module({
  imports: [BroadcastsModule],
  providers: [BroadcastWorker, BroadcastDriverTask],
})
export class BroadcastsWorkersModule {}
