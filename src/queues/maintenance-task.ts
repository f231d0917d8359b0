import { Logger } from '@nestjs/common';
import { type MaintenanceTaskName } from './queue-catalogue';

/**
 * A periodic task on the maintenance queue. MaintenanceScheduler finds every provider of this kind
 * and runs it every `everyMs` on one worker of the deployment at a time, whatever the number of
 * worker processes.
 */
export abstract class MaintenanceTask {
  protected readonly logger = new Logger(this.constructor.name);

  protected constructor(
    readonly task: MaintenanceTaskName,
    readonly everyMs: number,
  ) {}

  abstract run(): Promise<void>;
}
