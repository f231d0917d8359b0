import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { enqueueMissing, type JobPayloads, MaintenanceTask, QueueName } from '../../queues';
import { InboxRepository } from '../inbox.repository';

const TASK = 'sweep-messenger-inbox';
/**
 * Every 2 s, items older than 3 s: an item whose job was lost (Redis away or emptied, a process
 * killed between its commit and its enqueue) is queued again within about 5 s.
 */
const EVERY_MS = 2000;
/** Younger items are most likely still on their way to the queue. */
const GRACE_SECONDS = 3;
const BATCH = 1000;

/**
 * Queues inbox items that are pending in Postgres but not alive in Redis: stored while Redis was
 * away, lost with a Redis that came back empty, or failed by Bull without their handler finishing.
 * Job ids are inbox ids, so an item already in the queue is not added twice, and a processed one
 * is skipped by its handler.
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class InboxSweeperTask implements MaintenanceTask {
  private readonly logger = new Logger(InboxSweeperTask.name);

  constructor(
    @InjectQueue(QueueName.MessengerInbound)
    private readonly inbound: Queue<JobPayloads[typeof QueueName.MessengerInbound]>,
    private readonly inbox: InboxRepository,
  ) {}

  async run(): Promise<void> {
    const rows = await this.inbox.pendingOlderThan(GRACE_SECONDS, BATCH);
    await enqueueMissing(
      this.inbound,
      rows.map((row) => ({ data: { inboxId: row.id }, jobId: row.id })),
      this.logger,
    );
  }
}
