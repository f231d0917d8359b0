import { type AdvancedSettings } from 'bull';

/**
 * How fast the jobs of a process that died are taken back, for every queue (Bull's "stalled job"
 * settings; see docs/OPERATIONS.md). Bull's defaults (a 30 s lock, a stalled check every 30 s,
 * one recovery) left a killed process's jobs untouched for 60-90 s and failed a job for good the
 * second time it was caught; these are chosen for an answer within seconds of a crash instead.
 *
 * How it works: a worker holds a lock per active job in Redis, `lockDuration` long, renewed every
 * `lockRenewTime`. Every `stalledInterval` one worker of the deployment (whichever gets there
 * first) marks every active job; a renewal clears the mark; a job still marked at the next check
 * whose lock is gone has lost its process and goes back to waiting. A job of a killed process is
 * therefore back at most `lockDuration + stalledInterval` (8 s) after the kill, whichever worker
 * is alive, and at once when its own process restarts after the lock ran out.
 */
export const QUEUE_TIMING = {
  /**
   * 6 s: the longest a live process may go without reaching Redis (a blocked event loop, a long
   * GC, CPU starvation) before its jobs count as abandoned. Taking back a job that is in fact
   * still running is safe (handlers are idempotent and outbound sends are claimed in Postgres,
   * see OutboundService), only wasted work; taking back a dead process's job late is a late
   * answer. Shorter than Redis pauses we survive (10 s in the chaos suite): those are exactly the
   * case the Postgres claims exist for.
   */
  lockDurationMs: 6000,
  /** Four renewals per lock lifetime: a process must miss three in a row to lose its jobs. */
  lockRenewTimeMs: 1500,
  /** One check every 2 s across the deployment (Bull keeps it to one via a key with that TTL). */
  stalledIntervalMs: 2000,
  /**
   * A job is taken back up to 5 times before Bull fails it ("job stalled more than allowable
   * limit"): enough for a deployment whose workers are killed repeatedly, while a job that
   * itself crashes its process stops after 5 crashes. A job failed that way whose work is still
   * pending in Postgres is queued again by the sweepers (see enqueueMissing).
   */
  maxStalledCount: 5,
  /** After Redis was lost, a worker asks for jobs again 1 s later (Bull's default: 5 s). */
  retryProcessDelayMs: 1000,
} as const;

/** The timing above in Bull's terms, for every queue of the app. */
export const BULL_TIMING_SETTINGS: AdvancedSettings = {
  lockDuration: QUEUE_TIMING.lockDurationMs,
  lockRenewTime: QUEUE_TIMING.lockRenewTimeMs,
  stalledInterval: QUEUE_TIMING.stalledIntervalMs,
  maxStalledCount: QUEUE_TIMING.maxStalledCount,
  retryProcessDelay: QUEUE_TIMING.retryProcessDelayMs,
};
