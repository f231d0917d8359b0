import { type Logger } from '@nestjs/common';
import { type JobOptions, type Queue } from 'bull';
import { GroupCommit } from '../common/group-commit';
import { withTimeout } from '../common/with-timeout';

const ENQUEUE_TIMEOUT_MS = 1000;
/** Jobs added together at most by one GroupedEnqueue flush (one MULTI of this many scripts). */
const GROUPED_MAX_JOBS = 1000;

/** A job as enqueueSafely takes it. */
export interface SafeJob<T> {
  data: T;
  jobId: string;
  name?: string;
  opts?: JobOptions;
}

/**
 * Adds jobs whose state is already safe in Postgres, without ever failing or stalling the caller:
 * while Redis is away it adds nothing (ioredis would otherwise queue commands in memory without
 * bound), and a sweeper enqueues what was left pending once Redis is back. Job ids dedupe.
 */
export async function enqueueSafely<T>(
  queue: Queue<T>,
  jobs: SafeJob<T>[],
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
 * `enqueueSafely` for many concurrent callers of one queue (the webhook's deliveries): the jobs
 * added while an add is in flight go together in the next one, so a flood costs one MULTI (one
 * socket write, one promise chain) per round trip to Redis instead of one per caller: Bull's
 * `addBulk` wraps even a single job in MULTI/EXEC, and per-delivery adds were a quarter of the
 * webhook's CPU under a flood (bench:webhook's intake phase, 32 connections). An idle queue adds
 * at once. `add` never rejects: it resolves false when the jobs were left for a sweeper.
 */
export class GroupedEnqueue<T> {
  private readonly adds: GroupCommit<SafeJob<T>, boolean>;

  constructor(queue: Queue<T>, logger: Logger) {
    this.adds = new GroupCommit(
      async (jobs) => {
        const added = await enqueueSafely(queue, jobs, logger);
        return jobs.map(() => added);
      },
      { maxItems: GROUPED_MAX_JOBS },
    );
  }

  /** Adds `jobs` with those of the callers beside it; false if they were left for a sweeper. */
  async add(jobs: SafeJob<T>[]): Promise<boolean> {
    const added = await this.adds.submit(jobs);
    return added.every(Boolean);
  }
}

/**
 * `enqueueSafely` for a sweeper, whose jobs are work Postgres still records as pending: first asks
 * Redis (one round trip) what it holds of each job, and adds only those it does not hold alive.
 * A backlog being worked through (waiting, delayed for a retry, active) is then left alone instead
 * of being re-added, job by job, every few seconds. Queued again besides the absent ones:
 * - a job Redis holds as failed: its handler did not finish (its last attempt died with Postgres
 *   away, or Bull gave up on a job whose processes kept dying), so the work would never run;
 * - the remains of a job, a hash without its data: what a worker's commands queued during an
 *   outage write into a Redis that came back empty (Bull records a failed attempt on the job's
 *   hash whether or not the job still exists). Bull would take the remains for the job and add
 *   nothing.
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
    const failedKey = queue.toKey('failed');
    for (const job of jobs) {
      const key = queue.toKey(job.jobId);
      pipeline.exists(key).hexists(key, 'data').zscore(failedKey, job.jobId);
    }
    const held = await withTimeout(pipeline.exec(), ENQUEUE_TIMEOUT_MS, 'no answer');
    const state = (index: number): 'absent' | 'remains' | 'failed' | 'alive' => {
      const [exists, hasData, failedAt] = [0, 1, 2].map((n) => held?.[3 * index + n]?.[1]);
      if (exists !== 1) return 'absent';
      if (hasData !== 1) return 'remains';
      return failedAt !== null ? 'failed' : 'alive';
    };
    const failed = jobs.filter((_, index) => state(index) === 'failed');
    if (failed.length > 0) await removeFailed(queue, failed, logger);
    const remains = jobs.filter((_, index) => state(index) === 'remains');
    if (remains.length > 0) {
      logger.warn(`${remains.length} job(s) left half-written by a Redis outage, queued again`);
      await queue.client.del(...remains.map((job) => queue.toKey(job.jobId)));
    }
    missing = jobs.filter((_, index) => state(index) !== 'alive');
  } catch (error) {
    // Not knowing which exist costs only duplicate adds, which job ids turn into no-ops.
    logger.warn(`Could not check queued jobs: ${(error as Error).message}`);
  }
  return enqueueSafely(queue, missing, logger);
}

/** Removes failed jobs so their ids can be added again. */
async function removeFailed<T>(
  queue: Queue<T>,
  jobs: { jobId: string }[],
  logger: Logger,
): Promise<void> {
  logger.warn(
    `${jobs.length} failed job(s) whose work is still pending, queued again: ${jobs
      .slice(0, 5)
      .map((job) => job.jobId)
      .join(', ')}${jobs.length > 5 ? ', ...' : ''}`,
  );
  for (const { jobId } of jobs) {
    const job = await queue.getJob(jobId);
    // A job taken meanwhile (retried, removed) is not failed any more: leave it alone.
    if (job && (await job.isFailed())) await job.remove();
  }
}
