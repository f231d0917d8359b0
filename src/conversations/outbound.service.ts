import { Injectable, Logger } from '@nestjs/common';
import { type Channel, ContactsService, type ExternalIdKind } from '../contacts';
import { GroupCommit } from '../common/group-commit';
import { type MessageStatus } from './entities/message.entity';
import { type ReplySendOptions, type ReplyStatus } from './entities/reply.entity';
import { OutboundRepository } from './outbound.repository';
import { SendClaims } from './send-claims';
import { type PendingMark, SentMarks } from './sent-marks';
import {
  type ChannelSender,
  isThreadControl,
  type Recipient,
  type SendOptions,
  SenderRegistry,
} from './senders/channel-sender';

/** Channels let a bot write freely only within 24 hours of the contact's last message. */
export const MESSAGING_WINDOW_MS = 24 * 3600 * 1000;

/**
 * A reply is sent when its last message is: the mark of the message at `index` of the `unsent`
 * ones (in order) completes the reply only when it is the last of them. A reply retried after
 * some of its messages went out counts from the first unsent one.
 */
export function sentWithLastMessage(index: number, unsent: number): boolean {
  return index === unsent - 1;
}

/** Thrown for a failure worth retrying: the job fails this attempt and Bull retries with backoff. */
export class RetryableSendError extends Error {}

/**
 * Thrown when a live run elsewhere (the one-hop send that wrote the reply, or a second run of its
 * job) holds the reply's next message: that run sends the rest, or hands the reply on when it
 * fails; should its process die, the claim dies with it and the reply sweeper queues the reply.
 * A job that meets it ends (OutboundWorker): retrying would only spend, while the holder waits on
 * a slow Graph API, the attempts the reply needs once the holder hands it on.
 */
export class ReplyHeldError extends RetryableSendError {}

/** A reply as its send reads it: the row, its contact's address and its messages in order. */
export interface ReplyRow {
  id: string;
  botId: string;
  channel: Channel;
  status: ReplyStatus;
  contactId: string;
  sendOptions: ReplySendOptions | null;
  lastInboundAt: Date;
  externalId: string;
  externalIdKind: ExternalIdKind;
  messages: MessageRow[];
  /**
   * False when the reply's writer knows it answers no referral's entry (a reply in hand to a
   * message, say): its send then moves no funnel, and its last mark needs no referrals statement.
   * Unset (a reply read back): it may answer one.
   */
  answersEntry?: boolean;
}

export interface MessageRow {
  id: string;
  status: MessageStatus;
  payload: Record<string, unknown>;
}

/** What one run sends with: the channel's sender, the contact's address, the options, the attempt. */
interface SendRun {
  sender: ChannelSender;
  recipient: Recipient;
  options: SendOptions;
  lastAttempt: boolean;
}

/** Replies loaded together at most; concurrent jobs share one read. */
const LOAD_MAX = 100;
/**
 * How long a process keeps trying to record a send that succeeded (Postgres restarting, say):
 * given up, the message stays claimed by a live process until it exits, then is sent again.
 */
const MARK_SENT_PATIENCE_MS = 60_000;
const MARK_SENT_RETRY_MS = 500;

/**
 * Sends a reply's messages in order, each at most once, and records how each went. Each message
 * is claimed in Postgres before its send (SendClaims), so two runs of one job (Bull took it back
 * from a process that was in fact alive) never send it both; a run that finds a message claimed
 * by a live process leaves the reply to that process.
 */
@Injectable()
export class OutboundService {
  private readonly logger = new Logger(OutboundService.name);
  private readonly loads = new GroupCommit<string, ReplyRow | undefined>(
    (ids) => this.loadReplies(ids),
    { maxItems: LOAD_MAX },
  );

  constructor(
    private readonly repository: OutboundRepository,
    private readonly senders: SenderRegistry,
    private readonly claims: SendClaims,
    private readonly marks: SentMarks,
    private readonly contacts: ContactsService,
  ) {}

  /** Records still waiting for a carrier's transaction are written now: the process is ending. */
  beforeApplicationShutdown(): void {
    this.marks.close();
  }

  async send(replyId: string, lastAttempt: boolean, now = new Date()): Promise<void> {
    const [reply] = await this.loads.submit([replyId]);
    if (!reply || reply.status !== 'pending') return;
    await this.sendLoaded(reply, lastAttempt, now);
  }

  /**
   * `send` for a reply its writer has in hand, as committed a moment ago (pending, nothing sent):
   * the same claims, window and records, without reading it back.
   */
  async sendLoaded(reply: ReplyRow, lastAttempt: boolean, now = new Date()): Promise<void> {
    try {
      await this.sendMessages(reply, lastAttempt, now);
    } finally {
      // Messages stored claimed for this send that it did not reach (it stopped earlier).
      await this.giveBack([reply]);
    }
  }

  /**
   * Gives back the claims of replies in hand stored claimed for a send that will not reach them
   * (SendClaims.unclaim): no statement when there are none. Never throws.
   */
  async giveBack(replies: (string | ReplyRow)[]): Promise<void> {
    await this.claims.unclaim(
      replies.flatMap((reply) =>
        typeof reply === 'string' ? [] : reply.messages.map((message) => message.id),
      ),
    );
  }

  private async sendMessages(reply: ReplyRow, lastAttempt: boolean, now: Date): Promise<void> {
    const replyId = reply.id;
    // Thread-control actions (handing a thread to an agent's app and back) are no messages: the
    // window does not bind them, and a conversation is often released days later.
    const windowBound = reply.messages.some(
      (message) =>
        (message.status === 'pending' || message.status === 'sending') &&
        !isThreadControl(message.payload),
    );
    const purpose = reply.sendOptions?.purpose;
    if (
      windowBound &&
      purpose !== 'tagged' &&
      purpose !== 'notification' &&
      now.getTime() - reply.lastInboundAt.getTime() > MESSAGING_WINDOW_MS
    ) {
      await this.repository.finish(
        replyId,
        'skipped',
        'OUTSIDE_MESSAGING_WINDOW: the contact last wrote more than 24 hours ago',
      );
      return;
    }
    const options = await this.sendOptions(reply, now);
    if (!options) {
      await this.repository.finish(
        replyId,
        'skipped',
        'TOKEN_EXPIRED: the contact has no active subscription to the topic any more',
      );
      return;
    }
    const sender = this.senders.get(reply.channel);
    if (!sender) throw new Error(`no sender registered for channel ${reply.channel}`);
    const recipient = { externalId: reply.externalId, externalIdKind: reply.externalIdKind };
    // `sending`: claimed by a process that may have died mid-send; the claim tells.
    const unsent = reply.messages.filter(
      (message) => message.status === 'pending' || message.status === 'sending',
    );

    // A message's record follows its send without holding up the next message's send (it may
    // wait for a carrier's transaction: SentMarks); the run ends once every record is committed.
    const records: Promise<void>[] = [];
    try {
      await this.sendInOrder(reply, unsent, { sender, recipient, options, lastAttempt }, records);
    } finally {
      await Promise.allSettled(records);
    }
    // A send still not recorded after MARK_SENT_PATIENCE_MS fails the run: its claim is given up
    // with it, and the reply's next run asks the channel (SendClaims `resumed`).
    await Promise.all(records);
    if (unsent.length === 0) await this.repository.finish(replyId, 'sent', '');
  }

  /**
   * Sends the unsent messages in order, each claimed first; a success's record is pushed to
   * `records` (settled by the caller). Stops at the first failure: throws RetryableSendError to
   * retry the reply, or records it failed.
   */
  private async sendInOrder(
    reply: ReplyRow,
    unsent: MessageRow[],
    { sender, recipient, options, lastAttempt }: SendRun,
    records: Promise<void>[],
  ): Promise<void> {
    for (const [index, message] of unsent.entries()) {
      // Messages sent by an earlier attempt are not in `unsent`: nothing is sent twice.
      const claim = await this.claims.claim(message.id);
      if (claim.kind === 'busy') {
        // Another live run holds this reply; it sends the rest (see ReplyHeldError). On the last
        // attempt the job ends here: the sweeper queues the reply again should that run die.
        if (lastAttempt) return;
        throw new ReplyHeldError(`reply ${reply.id} is being sent by another run`);
      }
      const last = sentWithLastMessage(index, unsent.length);
      // The claim is held until the send's record commits (recordSent), else released here.
      let recording = false;
      try {
        if (claim.kind === 'resumed') {
          const found = await this.findSent(sender, reply, recipient, message, claim.since);
          if (found) {
            records.push(
              this.recordSent(message.id, found.externalId, last ? reply : null, records),
            );
            recording = true;
            continue;
          }
        }
        const outcome = await sender.send(reply.botId, recipient, message.payload, options);
        if (outcome.ok) {
          records.push(
            this.recordSent(message.id, outcome.externalId, last ? reply : null, records),
          );
          recording = true;
          continue;
        }
        if (outcome.retryable && !lastAttempt) {
          await this.repository.recordFailure(message.id, outcome, 'pending');
          throw new RetryableSendError(
            `${reply.channel} send failed, will retry: ${outcome.message}`,
          );
        }
        await this.repository.recordFailure(message.id, outcome, 'failed');
        await this.repository.finish(
          reply.id,
          'failed',
          'PREVIOUS_MESSAGE_FAILED: an earlier message of this reply could not be sent',
        );
        this.logger.warn(
          `Reply ${reply.id} failed: ${outcome.message} (code ${outcome.code ?? '-'})`,
        );
        return;
      } finally {
        if (!recording) this.claims.release(message.id);
      }
    }
  }

  /**
   * The channel-neutral options of the reply's sends; a notification send gets the contact's
   * current token (decrypted now, never stored in the clear), or null when there is none.
   */
  private async sendOptions(reply: ReplyRow, now: Date): Promise<SendOptions | null> {
    const stored = reply.sendOptions;
    if (!stored) return {};
    const options: SendOptions = { priority: stored.priority };
    switch (stored.purpose) {
      case 'update':
        return { ...options, purpose: 'update' };
      case 'tagged':
        return { ...options, purpose: 'tagged', tag: stored.tag };
      case 'notification': {
        const token = await this.contacts.activeNotificationToken(
          reply.botId,
          reply.contactId,
          stored.notificationTopic ?? '',
          'notification_messages',
          now,
        );
        return token ? { ...options, purpose: 'update', notificationToken: token } : null;
      }
    }
  }

  /**
   * Asks the channel whether a message whose sender died mid-send arrived after all (Messenger:
   * the conversation's recent messages). Found, it is recorded as sent, not sent again; not found,
   * or the channel cannot tell, it is sent again: at least once, never lost.
   */
  private async findSent(
    sender: ChannelSender,
    reply: ReplyRow,
    recipient: Recipient,
    message: MessageRow,
    since: Date,
  ): Promise<{ externalId: string | null } | null> {
    const found = await sender
      .findSent?.(reply.botId, recipient, message.payload, since)
      .catch((error: Error) => {
        this.logger.warn(`Could not look up message ${message.id}: ${error.message}`);
        return undefined;
      });
    if (found) {
      this.logger.warn(
        `Message ${message.id} of reply ${reply.id} was being sent by a run that died; ` +
          'the channel has it, recorded as sent',
      );
      return found;
    }
    this.logger.warn(
      `Message ${message.id} of reply ${reply.id} was being sent by a run that died; ` +
        `${found === null ? 'the channel does not have it' : 'whether it arrived is unknown'}, sending it again`,
    );
    return null;
  }

  /**
   * `markSent`, releasing the message's claim once it settles; the promise is handled at once
   * (a record that fails while later messages are being sent is no unhandled rejection). The mark
   * that completes the reply (`completes`) is written only once the `earlier` messages' records
   * have committed: a reply `sent` with a message of it still `sending` would be sent by no run
   * and swept by no sweeper. Should one of them fail, this one is not written either: the run
   * fails, and its retry takes over both claims (SendClaims `resumed`).
   */
  private recordSent(
    messageId: string,
    externalId: string | null,
    completes: ReplyRow | null,
    earlier: Promise<void>[],
  ): Promise<void> {
    const after = completes ? Promise.all(earlier) : Promise.resolve([]);
    const record = after
      .then(() => this.markSent(messageId, externalId, completes))
      .finally(() => this.claims.release(messageId));
    record.catch(() => undefined);
    return record;
  }

  /**
   * Marks a message sent; with `completes`, its reply too (it was the last message). The send
   * happened: failing the job now would send it again, so Postgres is asked until it answers.
   */
  private async markSent(
    messageId: string,
    externalId: string | null,
    completes: ReplyRow | null,
  ): Promise<void> {
    const mark: PendingMark = {
      messageId,
      externalId: externalId?.slice(0, 255) ?? null,
      replyId: completes?.id ?? null,
      mayAnswerEntry: completes !== null && completes.answersEntry !== false,
    };
    const giveUpAt = Date.now() + MARK_SENT_PATIENCE_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        // A record Postgres refused once is retried on its own: it must not fail (again) the
        // transaction of a carrier, which would roll back that batch's own work with it.
        await this.marks.record(mark, { alone: attempt > 0 });
        return;
      } catch (error) {
        if (Date.now() > giveUpAt) throw error;
        this.logger.warn(
          `Message ${messageId} was sent but not recorded yet: ${(error as Error).message}`,
        );
        await new Promise((resolve) => setTimeout(resolve, MARK_SENT_RETRY_MS));
      }
    }
  }

  /** The replies of concurrent jobs, loaded in one statement; undefined for a reply that is gone. */
  private async loadReplies(replyIds: string[]): Promise<(ReplyRow | undefined)[]> {
    const rows = await this.repository.loadReplies(replyIds);
    const byId = new Map(
      rows.map((reply) => [reply.id, { ...reply, lastInboundAt: new Date(reply.lastInboundAt) }]),
    );
    return replyIds.map((id) => byId.get(id));
  }
}
