import { Injectable, Logger } from '@nestjs/common';
import { MaintenanceTask } from '../../queues';
import { InboxRepository } from '../inbox.repository';

const TASK = 'purge-messenger-inbox';
const EVERY_MS = 3600_000;
/** Meta redelivers for hours, not weeks: two weeks of history keeps deduplication safe. */
export const INBOX_RETENTION_DAYS = 14;
const BATCH = 5000;

/**
 * Deletes handled inbox items past the retention, in small batches so the table is never locked
 * for long. What a conversation needs lives in its message log, not here.
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class InboxPurgeTask implements MaintenanceTask {
  private readonly logger = new Logger(InboxPurgeTask.name);

  constructor(private readonly inbox: InboxRepository) {}

  /** Returns how many items were deleted. */
  async purge(retentionDays = INBOX_RETENTION_DAYS): Promise<number> {
    let deleted = 0;
    for (;;) {
      const count = await this.inbox.purgeHandled(retentionDays, BATCH);
      deleted += count;
      if (count < BATCH) return deleted;
    }
  }

  async run(): Promise<void> {
    const deleted = await this.purge();
    if (deleted > 0)
      this.logger.log(
        `Purged ${deleted} handled inbox items older than ${INBOX_RETENTION_DAYS} days`,
      );
  }
}
