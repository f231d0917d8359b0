import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { withTimeout } from '../common/with-timeout';
import { type JobPayloads, type QueueName, WORKER_CONCURRENCY } from './queue-catalogue';

const CLOSE_TIMEOUT_MS = 25_000;
const START_TIMEOUT_MS = 5000;

export interface WorkerOptions<N extends QueueName> {
  queue: Queue<JobPayloads[N]>;
  name: N;
  /** The job name this worker takes; '*' takes every named job of the queue (maintenance). */
  jobName?: string;
}

/**
 * Base of every queue processor: it takes its queue's jobs from start-up on, and on shutdown stops
 * taking new jobs and waits for the ones in flight. Processors are providers of the feature
 * modules' `…WorkersModule`, which only a process whose PROCESS_ROLE runs workers imports
 * (`AppModule.forRoot`), so an api process holds none.
 */
export abstract class QueueWorker<N extends QueueName>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger = new Logger(this.constructor.name);
  private started = false;

  protected constructor(private readonly options: WorkerOptions<N>) {}

  /** The catalogue's queue this worker takes jobs from. */
  get queueName(): N {
    return this.options.name;
  }

  protected abstract handle(job: Job<JobPayloads[N]>): Promise<void>;

  async onApplicationBootstrap(): Promise<void> {
    const { queue, name, jobName } = this.options;
    await withTimeout(this.beforeStart(), START_TIMEOUT_MS, 'Redis not answering').catch(
      (error: Error) => this.logger.warn(`Starting ${name} without preparing: ${error.message}`),
    );
    this.started = true;
    const concurrency = WORKER_CONCURRENCY[name];
    const handler = (job: Job<JobPayloads[N]>): Promise<void> => this.handle(job);
    const processing = jobName
      ? queue.process(jobName, concurrency, handler)
      : queue.process(concurrency, handler);
    processing.catch((error: Error) =>
      this.logger.error(`Worker for ${name} stopped: ${error.message}`),
    );
  }

  /** Runs before this process takes the queue's jobs; given a few seconds when Redis is away. */
  protected beforeStart(): Promise<void> {
    return Promise.resolve();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    await withTimeout(
      this.options.queue.close(),
      CLOSE_TIMEOUT_MS,
      `jobs still running after ${CLOSE_TIMEOUT_MS} ms`,
    ).catch((error: Error) =>
      this.logger.warn(`${this.options.name} not closed cleanly (${error.message}); going on`),
    );
  }

  /** True when this run is the job's last allowed attempt. */
  protected isLastAttempt(job: Job): boolean {
    return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  }
}
