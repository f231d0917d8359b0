import { InjectQueue } from '@nestjs/bull';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Job, type Queue } from 'bull';
import { AppConfig } from '../config';
import { MaintenanceWorker } from './maintenance-worker';
import { type JobPayloads, type MaintenanceTask, QueueName } from './queue-catalogue';
import { QueueWorker } from './queue-worker';

type Payload = JobPayloads[typeof QueueName.Maintenance];

/**
 * The one processor of the maintenance queue: it finds every MaintenanceWorker among the app's
 * providers, schedules each as a Bull repeatable job and hands each job to its task. One processor,
 * not one per task: each named processor Bull registers sends a command on the queue's blocking
 * connection, where it waits behind the previous processor's blocking pop and is rejected,
 * unhandled, by a shutdown.
 */
@Injectable()
export class MaintenanceScheduler
  extends QueueWorker<typeof QueueName.Maintenance>
  implements OnModuleInit
{
  private readonly tasks = new Map<MaintenanceTask, MaintenanceWorker>();
  /** Tasks running in this process: a slow run is never overlapped by its next one here. */
  private readonly running = new Set<MaintenanceTask>();

  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue<Payload>,
    config: AppConfig,
    private readonly discovery: DiscoveryService,
  ) {
    super({ queue, name: QueueName.Maintenance, config, jobName: '*' });
  }

  onModuleInit(): void {
    for (const { instance } of this.discovery.getProviders()) {
      if (!(instance instanceof MaintenanceWorker)) continue;
      if (this.tasks.has(instance.task)) throw new Error(`Task ${instance.task} registered twice`);
      this.tasks.set(instance.task, instance);
    }
  }

  /**
   * Adds each task's repeatable job and removes those of tasks or intervals that are gone, before
   * this process takes jobs: a job of a removed schedule being taken meanwhile would put it back.
   */
  protected override async beforeStart(): Promise<void> {
    for (const { task, everyMs } of this.tasks.values()) {
      await this.queue.add(task, { task }, { repeat: { every: everyMs }, jobId: task });
    }
    for (const job of await this.queue.getRepeatableJobs()) {
      const wanted = this.tasks.get(job.name as MaintenanceTask);
      if (wanted?.everyMs !== Number(job.every)) await this.queue.removeRepeatableByKey(job.key);
    }
  }

  protected async handle(job: Job<Payload>): Promise<void> {
    const task = job.data.task;
    const worker = this.tasks.get(task);
    if (!worker) {
      this.logger.warn(`No maintenance task named ${task} in this process; skipped`);
      return;
    }
    if (this.running.has(task)) return;
    this.running.add(task);
    try {
      await worker.run();
    } finally {
      this.running.delete(task);
    }
  }
}
