import {
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Job, type Queue } from 'bull';
import { type AppConfig } from '../config';
import { type JobPayloads, type QueueName, WORKER_CONCURRENCY } from './queue-catalogue';

const CLOSE_TIMEOUT_MS = 25_000;

/**
 * Base of every queue processor. It starts taking jobs only in processes whose PROCESS_ROLE runs
 * workers, and on shutdown stops taking new jobs and waits for the ones in flight.
 */
export abstract class QueueWorker<N extends QueueName>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger = new Logger(this.constructor.name);
  private started = false;

  protected constructor(
    protected readonly queue: Queue<JobPayloads[N]>,
    private readonly name: N,
    private readonly config: AppConfig,
  ) {}

  protected abstract handle(job: Job<JobPayloads[N]>): Promise<void>;

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.started = true;
    this.queue
      .process(WORKER_CONCURRENCY[this.name], (job: Job<JobPayloads[N]>) => this.handle(job))
      .catch((error: Error) =>
        this.logger.error(`Worker for ${this.name} stopped: ${error.message}`),
      );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn(
          `Jobs of ${this.name} still running after ${CLOSE_TIMEOUT_MS} ms; closing anyway`,
        );
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.queue.close(), timeout]);
    clearTimeout(timer);
  }

  /** True when this run is the job's last allowed attempt. */
  protected isLastAttempt(job: Job): boolean {
    return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  }
}
