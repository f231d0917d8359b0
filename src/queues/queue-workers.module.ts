import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MaintenanceScheduler } from './maintenance-scheduler';
import { QueueHandlersCheck } from './queue-handlers';

/**
 * The job-taking side of the queues: the maintenance queue's processor and the boot-time check
 * that every job has exactly one handler. Imported, with each feature's `…WorkersModule`, only by
 * processes whose PROCESS_ROLE runs workers (`AppModule.forRoot`); the queues themselves, for
 * adding jobs, are QueuesModule's and exist in every process.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [MaintenanceScheduler, QueueHandlersCheck],
})
export class QueueWorkersModule {}
