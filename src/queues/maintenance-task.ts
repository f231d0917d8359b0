import { DiscoveryService } from '@nestjs/core';
import { type MaintenanceTaskName } from './queue-catalogue';

/** A task's name on the maintenance queue and how often it runs, in milliseconds. */
export interface MaintenanceSchedule {
  name: MaintenanceTaskName;
  everyMs: number;
}

/**
 * A periodic task on the maintenance queue: a provider marked `@MaintenanceTask({ name, everyMs })`
 * that implements `MaintenanceTask`. MaintenanceScheduler finds every one (src/common/plug-ins.ts)
 * and runs it every `everyMs` on one worker of the deployment at a time, whatever the number of
 * worker processes.
 */
export const MaintenanceTask = DiscoveryService.createDecorator<MaintenanceSchedule>();

/** What a maintenance task provider does on each run. */
export interface MaintenanceTask {
  run(): Promise<void>;
}
