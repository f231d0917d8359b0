import { type JobOptions } from 'bull';

/**
 * Every queue of the app, its job payload and its job defaults, in one place.
 * Payloads carry ids only: handlers reload state and re-check it, so a retried job is safe.
 */
export const QueueName = {
  MessengerInbound: 'messenger-inbound',
  Outbound: 'outbound',
  Broadcasts: 'broadcasts',
  Maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** The jobs of the maintenance queue, one MaintenanceTask each (checked at boot: queue-handlers.ts). */
export const MAINTENANCE_TASK_NAMES = [
  'sweep-messenger-inbox',
  'sweep-outbound-replies',
  'purge-messenger-inbox',
  'refresh-table-statistics',
  'maintain-referral-partitions',
  'drive-broadcasts',
] as const;
export type MaintenanceTaskName = (typeof MAINTENANCE_TASK_NAMES)[number];

export interface JobPayloads {
  /** One stored Messenger webhook item; the job id is the inbox id. */
  [QueueName.MessengerInbound]: { inboxId: string };
  /** One reply (a group of outbound messages answering one inbound event); the job id is the reply id. */
  [QueueName.Outbound]: { replyId: string };
  /** One broadcast's run (materialise, then send to pending recipients); the job id is its id. */
  [QueueName.Broadcasts]: { broadcastId: string };
  [QueueName.Maintenance]: { task: MaintenanceTaskName };
}

/** Backoff strategy name registered on every queue: exponential with full jitter. */
export const JITTER_BACKOFF = 'exponential-jitter';

const retention: Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'> = {
  // Completed jobs go at once: the database records the outcome, and a re-added id must run again.
  removeOnComplete: true,
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

export const JOB_DEFAULTS: Record<QueueName, JobOptions> = {
  [QueueName.MessengerInbound]: {
    attempts: 6,
    backoff: { type: JITTER_BACKOFF, options: { baseDelayMs: 500 } },
    ...retention,
  },
  [QueueName.Outbound]: {
    attempts: 8,
    backoff: { type: JITTER_BACKOFF, options: { baseDelayMs: 1000 } },
    ...retention,
  },
  // A run is idempotent (recipient states in Postgres); the driver queues it again if all fail.
  [QueueName.Broadcasts]: {
    attempts: 10,
    backoff: { type: JITTER_BACKOFF, options: { baseDelayMs: 2000 } },
    ...retention,
  },
  [QueueName.Maintenance]: { attempts: 1, ...retention },
};

/** How many jobs of each queue one worker process runs at once. */
export const WORKER_CONCURRENCY: Record<QueueName, number> = {
  // Inbound jobs wait on shared batches (one transaction each), so many cost little; each also
  // holds its slot while it sends the replies it wrote, so 64 filled up at 300/s whenever a batch
  // was slow (measured: 64 active and 86 waiting, e2e p99 1 s).
  [QueueName.MessengerInbound]: 128,
  // A send takes a few milliseconds; more slots than this only add idle workers polling Redis
  // (measured: p99 webhook-to-send 180-220 ms at 300/s with 16, 240-310 ms with 32).
  [QueueName.Outbound]: 16,
  // A run sends many recipients at once itself; a few runs share the page budgets.
  [QueueName.Broadcasts]: 4,
  // One slot per maintenance task, so a long purge never holds back the sweepers.
  [QueueName.Maintenance]: 6,
};
