import { InjectQueue } from '@nestjs/bull';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Job, type Queue } from 'bull';
import { withTimeout } from '../common/with-timeout';
import { findPlugIns, type PlugIn } from '../common/plug-ins';
import { MaintenanceTask, type MaintenanceSchedule } from './maintenance-task';
import { type JobPayloads, type MaintenanceTaskName, QueueName } from './queue-catalogue';
import { QueueWorker } from './queue-worker';

type Payload = JobPayloads[typeof QueueName.Maintenance];

/**
 * How often each worker process checks that the schedules are still in Redis: with the Redis
 * outage itself and the sweepers' own intervals, work stored meanwhile is queued again within
 * 30 s of Redis returning empty.
 */
const SCHEDULE_CHECK_MS = 5000;

/**
 * The one processor of the maintenance queue: it finds every MaintenanceTask among the app's
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
  private readonly tasks = new Map<
    MaintenanceTaskName,
    PlugIn<MaintenanceSchedule, MaintenanceTask>
  >();
  /** Tasks running in this process: a slow run is never overlapped by its next one here. */
  private readonly running = new Set<MaintenanceTaskName>();
  private checkTimer: NodeJS.Timeout | undefined;
  private checking = false;
  /** Set once this process has put the schedules in place: missing ones later are a loss. */
  private scheduled = false;

  constructor(
    @InjectQueue(QueueName.Maintenance) private readonly queue: Queue<Payload>,
    private readonly discovery: DiscoveryService,
  ) {
    super({ queue, name: QueueName.Maintenance, jobName: '*' });
  }

  onModuleInit(): void {
    for (const task of findPlugIns<MaintenanceSchedule, MaintenanceTask>(
      this.discovery,
      MaintenanceTask,
    )) {
      const { name } = task.metadata;
      if (this.tasks.has(name)) throw new Error(`Task ${name} registered twice`);
      this.tasks.set(name, task);
    }
  }

  /**
   * Puts the schedules in place before this process takes jobs: a job of a removed schedule
   * being taken meanwhile would put it back. Then keeps them there: the schedules live in Redis,
   * and a Redis that comes back empty (restarted without persistence, a failover to a replica
   * that lagged, a flush) has lost them, and with them every sweeper. Each reconnection and a
   * check every SCHEDULE_CHECK_MS (a flush reconnects nothing) put back what is missing.
   */
  protected override async beforeStart(): Promise<void> {
    // Watching first: with Redis away at boot, the schedules are put in place once it answers.
    this.queue.client.on('ready', this.onReady);
    this.checkTimer = setInterval(() => void this.checkSchedules(), SCHEDULE_CHECK_MS);
    this.checkTimer.unref();
    await this.ensureSchedules();
  }

  override async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.checkTimer);
    this.queue.client.off('ready', this.onReady);
    await super.beforeApplicationShutdown();
  }

  private readonly onReady = (): void => void this.checkSchedules();

  private async checkSchedules(): Promise<void> {
    if (this.checking || this.queue.client.status !== 'ready') return;
    this.checking = true;
    try {
      await withTimeout(this.ensureSchedules(), SCHEDULE_CHECK_MS, 'Redis not answering');
    } catch (error) {
      this.logger.warn(`Could not check the maintenance schedules: ${(error as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Adds the repeatable job of each task Redis does not hold, and removes those of tasks or
   * intervals that are gone. Every worker process runs this; adding a schedule twice is a no-op
   * (Bull keys a schedule and each of its runs by name, interval and time).
   */
  async ensureSchedules(): Promise<void> {
    const held = await this.queue.getRepeatableJobs();
    for (const {
      metadata: { name: task, everyMs },
    } of this.tasks.values()) {
      if (held.some((job) => job.name === task && Number(job.every) === everyMs)) continue;
      if (this.scheduled)
        this.logger.warn(`The schedule of ${task} was gone from Redis; added again`);
      await this.queue.add(task, { task }, { repeat: { every: everyMs }, jobId: task });
    }
    for (const job of held) {
      const wanted = this.tasks.get(job.name as MaintenanceTaskName);
      if (wanted?.metadata.everyMs !== Number(job.every))
        await this.queue.removeRepeatableByKey(job.key);
    }
    this.scheduled = true;
  }

  protected async handle(job: Job<Payload>): Promise<void> {
    const task = job.data.task;
    const runner = this.tasks.get(task);
    if (!runner) {
      this.logger.warn(`No maintenance task named ${task} in this process; skipped`);
      return;
    }
    if (this.running.has(task)) return;
    this.running.add(task);
    try {
      await runner.instance.run();
    } finally {
      this.running.delete(task);
    }
  }
}
