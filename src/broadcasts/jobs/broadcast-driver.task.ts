import { Injectable } from '@nestjs/common';
import { MaintenanceTask } from '../../queues';
import { BroadcastRunner } from '../broadcast-runner';
import { BroadcastsRepository } from '../broadcasts.repository';

const TASK = 'drive-broadcasts';
/** Every second: a scheduled broadcast starts within about a second of its `sendAt`. */
const EVERY_MS = 1000;
const BATCH = 500;

/**
 * Starts scheduled broadcasts whose time has come, and makes sure every `sending` broadcast has its
 * run in the queue: one lost with Redis (emptied, restarted), failed by Bull, or never queued
 * because the process died right after committing is queued again (job ids dedupe live runs).
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class BroadcastDriverTask implements MaintenanceTask {
  constructor(
    private readonly repository: BroadcastsRepository,
    private readonly runner: BroadcastRunner,
  ) {}

  async run(): Promise<void> {
    await this.repository.startDue();
    await this.runner.requeue(await this.repository.sendingIds(BATCH));
  }
}
