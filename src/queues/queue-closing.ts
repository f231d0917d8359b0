import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type Queue } from 'bull';
import { withTimeout } from '../common/with-timeout';
import { QueueName } from './queue-catalogue';

/**
 * How long a queue's shutdown hook waits for its close. The worker's own close (QueueWorker) has
 * waited for its jobs in flight already; this one only ends its Redis connections, unless jobs
 * outlasted that wait, and Bull's close would then wait for them with no limit.
 */
export const QUEUE_CLOSE_WAIT_MS = 5_000;

/** The hook @nestjs/bull puts on each queue it creates (bull.providers.js): `this.close()`. */
interface ClosingHook {
  onApplicationShutdown?: () => Promise<void>;
}

/**
 * Makes a queue's shutdown hook (the one @nestjs/bull sets on it, `queue.close()`) log a failure
 * instead of throwing it. Bull's `close()` rejects when one of its Redis connections reports an
 * error while it quits (bull/lib/queue.js `redisClientDisconnect`: a QUIT not answered within
 * 500 ms is followed by `disconnect()`, and an `error` event then rejects), and it returns that
 * same rejected promise to every later call; Nest ends a shutdown in which a hook threw with
 * exit code 1 instead of re-raising the signal. A queue whose connections did not quit cleanly
 * loses nothing (its worker finished the jobs in flight first, QueueWorker; the rest is in Redis),
 * so the shutdown goes on; so it does after QUEUE_CLOSE_WAIT_MS. `logger` gets one warning naming
 * the queue.
 */
export function closeQuietly(queue: Queue, logger: Logger): void {
  const hooked = queue as Queue & ClosingHook;
  const close = hooked.onApplicationShutdown?.bind(queue) ?? (() => queue.close());
  hooked.onApplicationShutdown = () =>
    withTimeout(close(), QUEUE_CLOSE_WAIT_MS, `not closed after ${QUEUE_CLOSE_WAIT_MS} ms`).catch(
      (error: Error) => logger.warn(`Queue ${queue.name} did not close cleanly: ${error.message}`),
    );
}

/** Applies closeQuietly to every queue of the catalogue once they exist. */
@Injectable()
export class QueueClosing implements OnModuleInit {
  private readonly logger = new Logger(QueueClosing.name);

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of Object.values(QueueName))
      closeQuietly(this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }), this.logger);
  }
}
