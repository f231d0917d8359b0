import { Logger, type OnModuleInit } from '@nestjs/common';
import { type MaintenanceTask } from './queue-catalogue';
import { type MaintenanceScheduler } from './maintenance-scheduler';

/**
 * A periodic task on the maintenance queue. The scheduler runs it every `everyMs` on one worker of
 * the deployment at a time, whatever the number of worker processes.
 */
export abstract class MaintenanceWorker implements OnModuleInit {
  protected readonly logger = new Logger(this.constructor.name);

  protected constructor(
    private readonly scheduler: MaintenanceScheduler,
    readonly task: MaintenanceTask,
    readonly everyMs: number,
  ) {}

  onModuleInit(): void {
    this.scheduler.register(this);
  }

  abstract run(): Promise<void>;
}
