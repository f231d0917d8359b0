import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MaintenanceWorker } from '../../queues';
import { ConversationsService } from '../conversations.service';

const TASK = 'sweep-outbound-replies';
const EVERY_MS = 5000;
/** Younger replies are most likely still on their way to the queue. */
const GRACE_SECONDS = 5;
const BATCH = 500;

/**
 * Queues replies left pending because Redis was away when they were stored. Job ids dedupe, so a
 * reply already waiting in the queue is not added twice.
 */
@Injectable()
export class ReplySweeperWorker extends MaintenanceWorker {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly conversations: ConversationsService,
  ) {
    super(TASK, EVERY_MS);
  }

  async run(): Promise<void> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM replies
        WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1)
        ORDER BY created_at LIMIT $2`,
      [GRACE_SECONDS, BATCH],
    );
    await this.conversations.requeueReplies(rows.map((row) => row.id));
  }
}
