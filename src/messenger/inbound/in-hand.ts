import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { AppConfig } from '../../config';
import { enqueueSafely, type JobPayloads, QueueName } from '../../queues';
import { InboxIds, type InboxRow } from '../inbox.repository';
import { IntakeRate } from '../intake/intake-rate';
import { type ArrivingRow } from './arriving';
import { MessengerInboundService } from './inbound.service';
import { BATCH_MAX } from './batching';
import { ProfilePrefetch } from './profile-prefetch';

/**
 * Items handled in hand at once at most. Past it, the webhook queues items as before, so a flood
 * waits in Redis rather than in this process's memory (a batch takes 50 items at most, and the
 * inbound worker takes 128 jobs at once: a few batches' worth keeps the batches full).
 */
export const IN_HAND_MAX = 256;
/** How long a shutting-down process waits for the items in hand to finish. */
const DRAIN_TIMEOUT_MS = 20_000;

/**
 * The webhook's items, handled by the process that takes them, with no queue hop: in a process
 * that takes the webhook and runs the workers (PROCESS_ROLE=all, MESSENGER_INBOUND_IN_PROCESS on),
 * an item goes straight to MessengerInboundService with its row in hand (no job, no read back),
 * stored by the batch that handles it (`storeAndHandle`) or, when that cannot be, committed by
 * the webhook first (`take`); its answer is sent as the job's would be. Nothing is lost by skipping
 * the queue. An item its batch stores is committed with its handling before Meta gets its 200: a
 * process that dies first never answered, and Meta delivers again. An item committed first is
 * pending in Postgres until handled, so one of a process that dies is queued by the inbox sweeper
 * within seconds, and one whose handling fails is queued at once, for the job's retries. Items of
 * one contact stay in order and are answered once whichever way they go: the inbound handling
 * takes the contact's lock and only pending items.
 */
@Injectable()
export class InboundInHand {
  private readonly logger = new Logger(InboundInHand.name);
  private open = false;
  private running = 0;
  private drained: (() => void)[] = [];

  constructor(
    private readonly inbound: MessengerInboundService,
    @InjectQueue(QueueName.MessengerInbound)
    private readonly queue: Queue<JobPayloads[typeof QueueName.MessengerInbound]>,
    private readonly config: AppConfig,
    private readonly profiles: ProfilePrefetch,
    private readonly rate: IntakeRate,
    private readonly ids: InboxIds,
  ) {}

  /** Items handled in hand right now. */
  get inFlight(): number {
    return this.running;
  }

  /** How many more items this process would take in hand now. */
  private get room(): number {
    return Math.max(0, IN_HAND_MAX - this.running);
  }

  /** Starts taking items (the inbound worker calls it once it takes jobs). */
  start(): void {
    this.open = this.config.messenger.inboundInProcess;
    // The ids of items stored by their batch are taken from a block in hand (idsToStoreInBatch).
    if (this.open) this.ids.fillAhead();
  }

  /**
   * Stops taking items and waits (up to 20 s) for those in hand; what is left stays pending (or,
   * of items handed over unstored, is not stored, and Meta, without a 200, delivers it again).
   */
  async stop(): Promise<void> {
    this.open = false;
    if (this.running === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.drained.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
  }

  /**
   * Readies the handling of pending items the webhook is about to store (`botId`, `senderKey` as
   * stored): a new sender's profile look-up starts now (ProfilePrefetch), while the webhook
   * commits, for as many as this process would take in hand now (none when it takes none). The
   * look-up is on the path of a new person's first answer, and Meta's answer takes longer than
   * the commit.
   */
  expect(items: { botId: string | null; senderKey: string | null }[]): void {
    if (!this.open) return;
    for (const item of items.slice(0, this.room)) this.profiles.start(item.botId, item.senderKey);
  }

  /**
   * Takes as many of the committed pending items as there is room for and handles them in the
   * background, each as `rowOf` makes its row (called for those taken only); returns the items
   * not taken, for the caller to queue (all of them when this process does not handle items in
   * hand).
   */
  take<T>(items: T[], rowOf: (item: T) => InboxRow): T[] {
    if (!this.open) return items;
    const room = this.room;
    for (const item of items.slice(0, room)) void this.handle(rowOf(item));
    return items.slice(room);
  }

  /**
   * Whether `count` pending items the webhook is about to store should be stored by the batch
   * that handles them (`storeAndHandle`): while this process takes items in hand with room for
   * them, no more than a batch's worth of items waits for a batch with them, the intake is not
   * flooded, and Meta answers profile look-ups fast (ProfilePrefetch.answeringFast). The
   * webhook's answer then waits for the batch that takes them: the one running, if any, then
   * theirs, a few ms. Meta allows 5 s: items no batch took within half a second are stored first
   * after all, and a batch's look-ups end within 3 s. Returns the ids the rows are to be stored with
   * (InboxIds, from the block in hand: no statement, no wait, so the rows reach the batch before
   * anything else is decided), or null when they are to be stored first.
   */
  idsToStoreInBatch(count: number): string[] | null {
    const may =
      this.open &&
      count > 0 &&
      count <= this.room &&
      this.inbound.waitingItems + count <= BATCH_MAX &&
      !this.rate.flooded &&
      this.profiles.answeringFast;
    return may ? this.ids.takeReady(count) : null;
  }

  /**
   * Stores the webhook's pending items and handles them in one transaction
   * (MessengerInboundService.storeAndProcess): resolves once committed to, per item, whether it
   * was new; the replies are sent in the background. Throws when the batch failed, and then
   * nothing is stored: the webhook stores the items the usual way.
   */
  async storeAndHandle(rows: ArrivingRow[]): Promise<boolean[]> {
    this.running += rows.length;
    let sent: Promise<void> = Promise.resolve();
    try {
      const done = await this.inbound.storeAndProcess(rows);
      sent = done.sent;
      return done.stored;
    } finally {
      void sent.finally(() => this.release(rows.length));
    }
  }

  private async handle(row: InboxRow): Promise<void> {
    this.running++;
    try {
      await this.inbound.processInHand(row);
    } catch (error) {
      this.logger.warn(
        `Inbox item ${row.id} not handled in hand (${(error as Error).message}); queued for retries`,
      );
      await enqueueSafely(this.queue, [{ data: { inboxId: row.id }, jobId: row.id }], this.logger);
    } finally {
      this.release(1);
    }
  }

  /** `count` items in hand are done with: a stop waiting for the last of them goes on. */
  private release(count: number): void {
    this.running -= count;
    if (this.running === 0) for (const resolve of this.drained.splice(0)) resolve();
  }
}
