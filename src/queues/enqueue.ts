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

/**
 * `enqueueSafely` for a sweeper: first asks Redis (one round trip) which of the jobs it already
 * holds, and adds only the others. A backlog being worked through is then left alone instead of
 * being re-added, job by job, every few seconds.
 */
export async function enqueueMissing<T>(
  queue: Queue<T>,
  jobs: { data: T; jobId: string }[],
  logger: Logger,
): Promise<boolean> {
  if (jobs.length === 0 || queue.client.status !== 'ready') {
    return enqueueSafely(queue, jobs, logger);
  }
  let missing = jobs;
  try {
    const pipeline = queue.client.pipeline();
    for (const job of jobs) pipeline.exists(queue.toKey(job.jobId));
    const held = await withTimeout(pipeline.exec(), ENQUEUE_TIMEOUT_MS, 'no answer');
    missing = jobs.filter((_, index) => held?.[index]?.[1] !== 1);
  } catch (error) {
    // Not knowing which exist costs only duplicate adds, which job ids turn into no-ops.
    logger.warn(`Could not check queued jobs: ${(error as Error).message}`);
  }
  return enqueueSafely(queue, missing, logger);
}
