import { type Logger } from '@nestjs/common';
import { type JobOptions, type Queue } from 'bull';
import { withTimeout } from '../common/with-timeout';

const ENQUEUE_TIMEOUT_MS = 1000;

/**
 * Adds jobs whose state is already safe in Postgres, without ever failing or stalling the caller:
 * while Redis is away it adds nothing (ioredis would otherwise queue commands in memory without
 * bound), and a sweeper enqueues what was left pending once Redis is back. Job ids dedupe.
 */
export async function enqueueSafely<T>(
  queue: Queue<T>,
  jobs: { data: T; jobId: string; name?: string; opts?: JobOptions }[],
  logger: Logger,
): Promise<boolean> {
  if (jobs.length === 0) return true;
  if (queue.client.status !== 'ready') {
    logger.warn(
      `Redis is not ready (${queue.client.status}); ${jobs.length} job(s) left for the sweeper`,
    );
    return false;
  }
  try {
    await withTimeout(
      queue.addBulk(
        jobs.map((job) => ({
          name: job.name,
          data: job.data,
          opts: { ...job.opts, jobId: job.jobId },
        })),
      ),
      ENQUEUE_TIMEOUT_MS,
      `no answer within ${ENQUEUE_TIMEOUT_MS} ms`,
    );
    return true;
  } catch (error) {
    logger.warn(
      `Could not enqueue ${jobs.length} job(s), left for the sweeper: ${(error as Error).message}`,
    );
    return false;
  }
}
