import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { BulkSendService, type BulkOutcome, type BulkWrite } from '../conversations';
import {
  enqueueMissing,
  enqueueSafely,
  jitteredBackoff,
  JOB_DEFAULTS,
  type JobPayloads,
  QueueName,
} from '../queues';
import { SegmentsService } from '../segments';
import {
  BroadcastsRepository,
  type PendingRecipient,
  type RecipientUpdate,
} from './broadcasts.repository';
import { ContactFactsLoader } from './contact-facts';
import { type Broadcast } from './entities/broadcast.entity';
import { decide, sentAs } from './messaging-policy';

/** Contacts read from the audience per chunk (keyset pages: constant memory at any size). */
const MATERIALISE_CHUNK = 1000;
/** Recipients read, decided and stored per batch, and outcomes written per statement. */
const SEND_BATCH = 200;
/** Sends in flight at once per run; the page's rate budget paces them. */
const SEND_CONCURRENCY = 24;
/** How often a round re-reads the broadcast's status (pause, cancel). */
const STATUS_CHECK_MS = 250;
/** Attempts per recipient, as replies get (a transient failure is retried with the same backoff). */
const MAX_ATTEMPTS = JOB_DEFAULTS[QueueName.Outbound].attempts ?? 8;
const RETRY_BASE_MS = 1000;
/** Meta's codes for a person who cannot be messaged any more (MESSENGER.md, Send API errors). */
const UNAVAILABLE = (code: number | null, subcode: number | null): boolean =>
  code === 551 || (code === 200 && subcode === 1545041);

/**
 * Runs a broadcast: materialises its audience into recipient rows chunk by chunk, then sends to
 * pending recipients in rounds until none is left, or the broadcast is paused or cancelled. Every
 * step reloads its state from Postgres, so a run that dies is simply run again (Bull's stalled-job
 * check, or the driver finding a `sending` broadcast without a job): recipients already sent are
 * not pending any more, and a send cut off midway is found by its keyed reply's send claims.
 */
@Injectable()
export class BroadcastRunner {
  private readonly logger = new Logger(BroadcastRunner.name);

  constructor(
    @InjectQueue(QueueName.Broadcasts)
    private readonly queue: Queue<JobPayloads[typeof QueueName.Broadcasts]>,
    private readonly repository: BroadcastsRepository,
    private readonly segments: SegmentsService,
    private readonly facts: ContactFactsLoader,
    private readonly bulk: BulkSendService,
  ) {}

  /** Queues runs (job id = broadcast id, so one run per broadcast at a time). */
  async enqueue(broadcastIds: string[]): Promise<void> {
    await enqueueSafely(
      this.queue,
      broadcastIds.map((broadcastId) => ({ data: { broadcastId }, jobId: broadcastId })),
      this.logger,
    );
  }

  /** For the driver: queues the runs Redis does not hold (lost, failed, or never queued). */
  async requeue(broadcastIds: string[]): Promise<void> {
    await enqueueMissing(
      this.queue,
      broadcastIds.map((broadcastId) => ({ data: { broadcastId }, jobId: broadcastId })),
      this.logger,
    );
  }

  /** Runs the broadcast until nobody is pending, or it is paused or cancelled. */
  async run(broadcastId: string): Promise<void> {
    const broadcast = await this.repository.find(broadcastId);
    if (!broadcast || broadcast.status !== 'sending') return;
    if (!broadcast.materialised) await this.materialise(broadcast);
    for (;;) {
      if ((await this.repository.status(broadcastId)) !== 'sending') return;
      if ((await this.sendPass(broadcast)) > 0) continue;
      const retryAt = await this.repository.nextRetryAt(broadcastId);
      if (retryAt === null) {
        if (await this.repository.completeIfDone(broadcastId))
          this.logger.log(`Broadcast ${broadcastId} completed`);
        return;
      }
      const waitMs = Math.min(1000, Math.max(10, retryAt.getTime() - Date.now()));
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Streams the audience after the stored position into pending recipients, a chunk at a time. */
  private async materialise(broadcast: Broadcast): Promise<void> {
    let after = broadcast.materialisedAfter;
    for (;;) {
      if ((await this.repository.status(broadcast.id)) !== 'sending') return;
      const page = await this.segments.audience(
        broadcast.botId,
        broadcast.audience,
        after,
        MATERIALISE_CHUNK,
      );
      await this.repository.materialise(broadcast, page.contactIds, page.next);
      if (page.next === null) return;
      after = page.next;
    }
  }

  /**
   * One pass over the due pending recipients, in id order: the next batch is read, decided and
   * stored while the sends of the one before go out, and outcomes are written in batches behind
   * them, so the page's send slots never wait for Postgres between batches. Returns how many
   * recipients the pass took.
   */
  private async sendPass(broadcast: Broadcast): Promise<number> {
    const ready: PreparedSend[] = [];
    const updates: RecipientUpdate[] = [];
    const unreachable: Unreachable[] = [];
    let after = '0';
    let taken = 0;
    let exhausted = false;
    let preparing: Promise<void> | null = null;
    // Set from callbacks: a holder, so the compiler does not take them for constants here.
    const failed: { error: Error | null } = { error: null };
    // Paused or cancelled meanwhile: the sends not started stay pending (their keyed replies are
    // found again on resume), so a pause takes effect within a fraction of a second.
    let stopped = false;
    const fail = (error: unknown): void => {
      failed.error ??= error instanceof Error ? error : new Error(String(error));
      stopped = true;
    };
    let writing: Promise<void> = Promise.resolve();
    const write = (all: boolean): void => {
      if (updates.length === 0 || (!all && updates.length < SEND_BATCH)) return;
      const batch = updates.splice(0);
      const gone = unreachable.splice(0);
      writing = writing
        .then(async () => {
          await this.repository.markUnreachable(broadcast.botId, gone);
          await this.repository.update(broadcast.id, batch);
        })
        .catch(fail);
    };
    const prepareNext = (): Promise<void> =>
      (preparing ??= (async () => {
        const due = await this.repository.duePending(broadcast.id, after, SEND_BATCH);
        if (due.length === 0) {
          exhausted = true;
          return;
        }
        after = due[due.length - 1].id;
        taken += due.length;
        const prepared = await this.prepare(broadcast, due);
        updates.push(...prepared.skips);
        ready.push(...prepared.sends);
      })()
        .catch(fail)
        .finally(() => (preparing = null)));
    const watch = setInterval(() => {
      this.repository
        .status(broadcast.id)
        .then((status) => (stopped ||= status !== 'sending'))
        .catch(() => undefined);
    }, STATUS_CHECK_MS);
    const worker = async (): Promise<void> => {
      while (!stopped) {
        // Up to two batches ready: a slow batch (a loaded Postgres) never leaves slots unused.
        if (ready.length < SEND_BATCH && !exhausted) void prepareNext();
        const send = ready.shift();
        if (!send) {
          if (exhausted) return;
          await prepareNext();
          continue;
        }
        const startedAt = new Date();
        const outcome = await this.bulk.send(
          send.replyId,
          send.recipient.attempts + 1 >= MAX_ATTEMPTS,
        );
        const update = recipientUpdate(send.recipient, outcome, send.sentAs, startedAt);
        if (
          update.status === 'failed' &&
          outcome.code !== null &&
          UNAVAILABLE(outcome.code, outcome.subcode)
        )
          unreachable.push({
            contactId: send.recipient.contactId,
            code: outcome.code,
            subcode: outcome.subcode,
          });
        updates.push(update);
        write(false);
      }
    };
    try {
      await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker).map((w) => w.catch(fail)));
      await (preparing as Promise<void> | null);
    } finally {
      clearInterval(watch);
      write(true);
      await writing;
    }
    if (failed.error) throw failed.error;
    return taken;
  }

  /** Decides and stores one batch of recipients: their sends, and the skips decided now. */
  private async prepare(
    broadcast: Broadcast,
    due: PendingRecipient[],
  ): Promise<{ sends: PreparedSend[]; skips: RecipientUpdate[] }> {
    const now = new Date();
    const contactIds = due.map((r) => r.contactId);
    const facts = await this.facts.load(broadcast.botId, contactIds, broadcast, now);
    const skips: RecipientUpdate[] = [];
    const writes: (BulkWrite & { recipient: PendingRecipient })[] = [];
    due.forEach((recipient, index) => {
      const decision = decide(facts[index], broadcast, now);
      const target = facts[index].target;
      if ('skip' in decision || !target) {
        skips.push(
          skipped(recipient.contactId, 'skip' in decision ? decision.skip : 'NO_CONVERSATION'),
        );
        return;
      }
      writes.push({
        recipient,
        sourceKey: `broadcast:${broadcast.id}:${recipient.contactId}`,
        botId: broadcast.botId,
        target,
        content: broadcast.content,
        options: decision.send,
      });
    });
    const replyIds = await this.bulk.write(writes);
    const sends: PreparedSend[] = [];
    for (const write of writes) {
      const replyId = replyIds.get(write.sourceKey);
      if (replyId)
        sends.push({ recipient: write.recipient, replyId, sentAs: sentAs(write.options) });
      else skips.push(skipped(write.recipient.contactId, 'EMPTY_CONTENT'));
    }
    return { sends, skips };
  }
}

/** A recipient whose keyed reply is stored, waiting for its send. */
interface PreparedSend {
  recipient: PendingRecipient;
  replyId: string;
  sentAs: string;
}

interface Unreachable {
  contactId: string;
  code: number;
  subcode: number | null;
}

function skipped(contactId: string, reason: string): RecipientUpdate {
  return {
    contactId,
    status: 'skipped',
    reason,
    errorCode: null,
    errorSubcode: null,
    errorMessage: null,
    sentAs: null,
    nextAttemptAt: null,
    sentAt: null,
  };
}

/** The recipient's state after its reply's send. */
function recipientUpdate(
  recipient: PendingRecipient,
  outcome: BulkOutcome,
  as: string,
  startedAt: Date,
): RecipientUpdate {
  const base = {
    contactId: recipient.contactId,
    errorCode: outcome.code,
    errorSubcode: outcome.subcode,
    errorMessage: outcome.message,
    sentAs: as,
    nextAttemptAt: null,
    sentAt: null,
  };
  switch (outcome.status) {
    case 'sent':
      return {
        ...base,
        status: 'sent',
        sentAt: startedAt,
        reason: null,
        errorCode: null,
        errorSubcode: null,
        errorMessage: null,
      };
    case 'failed':
      return { ...base, status: 'failed', reason: 'SEND_FAILED' };
    case 'skipped':
      // The outbound path skipped it at send time (the window closed, the token expired): its
      // message starts with the reason's code.
      return { ...base, status: 'skipped', reason: skipReasonOf(outcome.message) };
    case 'retry':
      return {
        ...base,
        status: 'pending',
        reason: null,
        nextAttemptAt: new Date(
          Date.now() + jitteredBackoff(recipient.attempts + 1, RETRY_BASE_MS),
        ),
      };
  }
}

function skipReasonOf(message: string | null): string {
  const code = message?.split(':')[0] ?? '';
  return code === 'OUTSIDE_MESSAGING_WINDOW'
    ? 'OUTSIDE_WINDOW'
    : /^[A-Z_]{1,40}$/.test(code)
      ? code
      : 'SKIPPED';
}
