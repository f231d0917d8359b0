import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Queue } from 'bull';
import { DataSource } from 'typeorm';
import { enqueueMissing, type JobPayloads, MaintenanceWorker, QueueName } from '../../queues';

const TASK = 'sweep-messenger-inbox';
const EVERY_MS = 3000;
/** Younger items are most likely still on their way to the queue. */
const GRACE_SECONDS = 3;
const BATCH = 1000;

/**
 * Queues inbox items that were stored while Redis was away. Job ids are inbox ids, so an item
 * already waiting in the queue is not added twice, and a processed one is skipped by its handler.
 */
@Injectable()
export class InboxSweeperWorker extends MaintenanceWorker {
  constructor(
    @InjectQueue(QueueName.MessengerInbound)
    private readonly inbound: Queue<JobPayloads[typeof QueueName.MessengerInbound]>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super(TASK, EVERY_MS);
  }

  async run(): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM messenger_inbox
        WHERE status = 'pending' AND received_at < now() - make_interval(secs => $1)
        ORDER BY received_at, id LIMIT $2`,
      [GRACE_SECONDS, BATCH],
    );
    await enqueueMissing(
      this.inbound,
      rows.map((row) => ({ data: { inboxId: row.id }, jobId: row.id })),
      this.logger,
    );
  }
}
