import { Injectable } from '@nestjs/common';
import { MaintenanceTask } from '../../queues';
import { ConversationsService } from '../conversations.service';
import { OutboundRepository } from '../outbound.repository';

const TASK = 'sweep-outbound-replies';
/**
 * Every 2 s, replies older than 3 s: a reply whose job was lost (Redis away or emptied, a process
 * killed between committing the reply and queueing it) is queued again within about 5 s.
 */
const EVERY_MS = 2000;
/** Younger replies are most likely still on their way to the queue. */
const GRACE_SECONDS = 3;
const BATCH = 500;

/**
 * Queues replies pending in Postgres but not alive in Redis: stored while Redis was away, lost
 * with a Redis that came back empty, or failed by Bull without their handler finishing. Job ids
 * dedupe, so a reply already in the queue is not added twice. Keyed replies (`source_key`:
 * broadcasts) are driven by their owner, which can pause or cancel them: never queued here.
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class ReplySweeperTask implements MaintenanceTask {
  constructor(
    private readonly replies: OutboundRepository,
    private readonly conversations: ConversationsService,
  ) {}

  async run(): Promise<void> {
    const rows = await this.replies.pendingRepliesOlderThan(GRACE_SECONDS, BATCH);
    await this.conversations.requeueReplies(rows.map((row) => row.id));
  }
}
