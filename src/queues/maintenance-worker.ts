import { type Queue } from 'bull';
import { type AppConfig } from '../config';
import { type JobPayloads, type MaintenanceTask, QueueName } from './queue-catalogue';
import { QueueWorker } from './queue-worker';

/**
 * A periodic task on the maintenance queue: Bull runs it every `everyMs` on one worker of the
 * deployment at a time, whatever the number of worker processes.
 */
export abstract class MaintenanceWorker extends QueueWorker<typeof QueueName.Maintenance> {
  protected constructor(
    queue: Queue<JobPayloads[typeof QueueName.Maintenance]>,
    config: AppConfig,
    task: MaintenanceTask,
    everyMs: number,
  ) {
    super({
      queue,
      name: QueueName.Maintenance,
      config,
      jobName: task,
      repeat: { everyMs, data: { task } },
    });
  }
}
