import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import { type JobOptions, type Queue } from 'bull';
import { type EntityManager } from 'typeorm';
import {
  enqueueMissing,
  enqueueSafely,
  JOB_DEFAULTS,
  jitteredBackoff,
  type JobPayloads,
  QueueName,
} from '../queues';
import { AppConfig } from '../config';
import { firstInTransaction } from '../database';
import { type FunnelActivity, ReferralsService } from '../referrals';
import { BulkSendService, type Receipt } from './bulk-send.service';
import { type Decision, Dispatcher } from './dispatcher';
import { ConversationsRepository, type OpenConversation } from './conversations.repository';
import { type InboundEvent } from './inbound-event';
import { OutboundService, type ReplyRow, RetryableSendError } from './outbound.service';
import { RenderReply, type RenderedMessage } from './render-reply';
import { roundsOf } from './rounds';
import { StoreReplies, type StoredReply } from './store-replies';
import { handoverChangeOf, UpdateConversationState } from './update-conversation-state';

export interface InboundResult {
  conversationId: string;
  /** The reply to send, when the event is answered. */
  replyId: string | null;
  /**
   * That reply as `sendReplies` takes it: as written when the event named its contact's address,
   * else its id. It resolves once the transaction's next statement ran (the reply's statement
   * travels with it: StoreReplies), so it is awaited after the commit.
   */
  reply?: Promise<ReplyRow | string> | null;
}

type ConversationRow = OpenConversation;

/** One inbound event's way through a round: its conversation, the decision, the reply written. */
interface Turn {
  event: InboundEvent;
  conversation: ConversationRow;
  decision: Decision;
  replyId: string | null;
  reply: Promise<ReplyRow | string> | null;
}

const SILENT: Decision = { answer: null, referral: null };

/** `promise`, which nobody may await when the transaction fails: never an unhandled rejection. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

const OUTBOUND_DEFAULTS = JOB_DEFAULTS[QueueName.Outbound];
const OUTBOUND_BACKOFF = OUTBOUND_DEFAULTS.backoff as {
  type: string;
  options: { baseDelayMs: number };
};

/**
 * The job of a reply whose send at once failed carries on the schedule of a queued reply: the
 * attempts left, a first delay as Bull would have put before attempt 2, then a doubled base, so
 * its attempt j waits what a queued reply's attempt j + 1 would (the longest waits are what carry
 * a reply through a long Graph API outage).
 */
function retryOptions(): JobOptions {
  const baseDelayMs = OUTBOUND_BACKOFF.options.baseDelayMs;
  return {
    attempts: Math.max(1, (OUTBOUND_DEFAULTS.attempts ?? 1) - 1),
    delay: jitteredBackoff(1, baseDelayMs),
    backoff: { type: OUTBOUND_BACKOFF.type, options: { baseDelayMs: baseDelayMs * 2 } },
  };
}

/**
 * The reply of a turn as its send would read it back, when the event named its contact's address:
 * pending, its messages in order (claimed for this send when stored so), the window from the
 * conversation's latest inbound time.
 */
function inHand(
  turn: Turn,
  messages: RenderedMessage[],
  stored: StoredReply,
  messageIds: string[],
): ReplyRow | null {
  const address = turn.event.contact.address;
  if (!address) return null;
  return {
    id: stored.replyId,
    botId: turn.event.botId,
    channel: turn.event.channel,
    status: 'pending',
    contactId: turn.event.contactId,
    sendOptions: null,
    lastInboundAt: new Date(turn.conversation.lastInboundAt),
    externalId: address.externalId,
    externalIdKind: address.externalIdKind,
    messages: messages.map((message, position) => ({
      id: messageIds[position],
      status: stored.claimed ? 'sending' : 'pending',
      payload: message.payload,
    })),
    // Only an entry into a known referral is answered in its funnel (StoreReplies: `answers`).
    answersEntry: turn.decision.entry !== undefined,
  };
}

/** What the contact said or tapped: engagement in the funnels of the referrals it came through. */
function funnelActivity(event: InboundEvent): FunnelActivity[] {
  const who = { botId: event.botId, contactId: event.contactId };
  switch (event.kind) {
    case 'text':
    case 'attachment':
    case 'quickReply':
    case 'postback':
      return [{ ...who, kind: 'engaged', at: event.occurredAt }];
    case 'referral':
    case 'threadControl':
    case 'delivered':
    case 'read':
    case 'other':
      return [];
  }
}

@Injectable()
export class ConversationsService {
  private readonly logger = new Logger(ConversationsService.name);

  constructor(
    @InjectQueue(QueueName.Outbound)
    private readonly outbound: Queue<JobPayloads[typeof QueueName.Outbound]>,
    private readonly dispatcher: Dispatcher,
    private readonly renderReply: RenderReply,
    private readonly storeReplies: StoreReplies,
    private readonly updateState: UpdateConversationState,
    private readonly referrals: ReferralsService,
    private readonly sender: OutboundService,
    private readonly repository: ConversationsRepository,
    private readonly bulk: BulkSendService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Handles inbound events inside the caller's transaction (results in the order given), as
   * turns of one record each, round by round (a round holds one event per contact):
   * open the conversations (with the referrals the events came through) and log the messages,
   * decide the answers, render and store the replies, update who holds the conversations, record
   * the funnel. A few statements per round, not several per
   * event: what keeps a burst of campaign clicks cheap. The caller commits, then hands the reply
   * ids to `sendReplies`.
   */
  async handleInboundMany(events: InboundEvent[], tx: EntityManager): Promise<InboundResult[]> {
    const results: InboundResult[] = new Array<InboundResult>(events.length);
    for (const round of roundsOf(events)) {
      const turns = await this.openTurns(
        round.map((index) => events[index]),
        tx,
      );
      await this.decide(turns, tx);
      await this.writeReplies(turns, tx);
      await this.recordFunnel(turns, tx);
      round.forEach((index, k) => {
        const { conversation, replyId, reply } = turns[k];
        results[index] = { conversationId: conversation.id, replyId, reply };
      });
    }
    return results;
  }

  /** Opens (or touches) each event's conversation and logs its message: one turn per event. */
  private async openTurns(events: InboundEvent[], tx: EntityManager): Promise<Turn[]> {
    const conversations = await this.openConversations(events, tx);
    return events.map((event, k) => ({
      event,
      conversation: conversations[k],
      decision: SILENT,
      replyId: null,
      reply: null,
    }));
  }

  /**
   * The active referral each event came through (null for other events and unknown refs): one
   * statement for the round, memoized in the transaction (the dispatcher's resolution reads the
   * same memo), so the conversation takes it as it is opened rather than in an update of its own.
   */
  private async referralIds(events: InboundEvent[], tx: EntityManager): Promise<(string | null)[]> {
    const refOf = (event: InboundEvent) =>
      event.kind === 'referral' ? (event.referral?.ref ?? null) : null;
    const found = await this.referrals.findActiveByTrackingParams(
      events.flatMap((event) => {
        const ref = refOf(event);
        return ref ? [{ botId: event.botId, trackingParam: ref }] : [];
      }),
      tx,
    );
    let next = 0;
    return events.map((event) => (refOf(event) ? (found[next++]?.id ?? null) : null));
  }

  /** The dispatcher's answer to each turn (referrals resolved together). */
  private async decide(turns: Turn[], tx: EntityManager): Promise<void> {
    const decisions = await this.dispatcher.decideMany(
      turns.map((turn) => turn.event),
      turns.map((turn) => turn.conversation.id),
      tx,
    );
    turns.forEach((turn, k) => (turn.decision = decisions[k]));
  }

  /**
   * Renders each answer (RenderReply), stores the replies (StoreReplies: one statement; claimed
   * for the one-hop send when it follows), and updates who holds the conversations that change
   * hands (UpdateConversationState: a statement only when one does).
   */
  private async writeReplies(turns: Turn[], tx: EntityManager): Promise<void> {
    const inline = this.config.messenger.sendInline;
    const writing = turns.flatMap((turn) => {
      const messages = this.renderReply.forTurn(
        turn.event,
        turn.conversation.handedOver,
        turn.decision,
      );
      return messages.length > 0 ? [{ turn, messages }] : [];
    });
    const stored = await this.storeReplies.store(
      tx,
      writing.map(({ turn, messages }) => ({
        conversation: {
          id: turn.conversation.id,
          botId: turn.event.botId,
          channel: turn.event.channel,
        },
        messages,
        occurredAt: turn.event.occurredAt,
        // Only an entry into a known referral is answered in its funnel (`Decision.entry`).
        ...(turn.decision.entry && { answers: turn.decision.entry }),
        // Only the one-hop send reads a reply in hand; queued, only its id travels.
        sendHere: inline && turn.event.contact.address !== undefined,
      })),
    );
    writing.forEach(({ turn, messages }, k) => {
      turn.replyId = stored[k].replyId;
      const { replyId, messageIds } = stored[k];
      turn.reply = inline
        ? settledLater(messageIds.then((ids) => inHand(turn, messages, stored[k], ids) ?? replyId))
        : null;
    });
    await this.updateState.apply(
      tx,
      turns.flatMap((turn) => handoverChangeOf(turn.event, turn.conversation, turn.decision) ?? []),
    );
  }

  /**
   * What the contacts did moves the referrals' funnels (answers to entries were tied to their
   * replies as those were stored: `writeReplies`).
   */
  private async recordFunnel(turns: Turn[], tx: EntityManager): Promise<void> {
    await this.referrals.recordActivity(
      turns.flatMap((turn) => funnelActivity(turn.event)),
      tx,
    );
  }

  /**
   * Delivery and read receipts, in the caller's transaction: they move the funnels of the
   * referrals whose answers they cover and the records of receipt listeners (broadcasts), and
   * are no conversation turn (no message logged, the messaging window untouched).
   */
  async recordReceipts(events: InboundEvent[], tx: EntityManager): Promise<void> {
    const receipts: Receipt[] = events.flatMap((event) =>
      event.receipt
        ? [
            {
              botId: event.botId,
              contactId: event.contactId,
              kind: event.receipt.kind,
              watermark: event.receipt.watermark,
            },
          ]
        : [],
    );
    await this.referrals.recordActivity(
      receipts.map((r) => ({
        botId: r.botId,
        contactId: r.contactId,
        kind: r.kind,
        at: r.watermark,
      })),
      tx,
    );
    // Broadcasts count their messages delivered and read from the same watermarks.
    await this.bulk.recordReceipts(receipts, tx);
  }

  /**
   * Hands committed replies on, in the order given (one contact's replies in the order they were
   * written): by default (MESSENGER_SEND_INLINE) sent at once from the process that wrote them,
   * else queued on `outbound`. Sent at once is the fast path, with no queue hop between
   * the inbound transaction and the Send API, and no read of a reply given in hand
   * (`InboundResult.reply`). This run is the reply's first attempt. The first
   * reply that cannot be sent now (a transient channel error, a claim held by another run,
   * Postgres or Redis away) goes to the outbound queue with the attempts and backoff left, and so
   * does every reply after it, so none overtakes it; what cannot be queued, the reply sweeper
   * picks up. Send claims, the window, the shared send rate and the records are OutboundService's,
   * as for a queued send. Never throws.
   */
  async sendReplies(replies: (string | ReplyRow)[]): Promise<void> {
    if (!this.config.messenger.sendInline) {
      await this.enqueueReplies(
        replies.map((reply) => (typeof reply === 'string' ? reply : reply.id)),
      );
      return;
    }
    for (const [index, reply] of replies.entries()) {
      const replyId = typeof reply === 'string' ? reply : reply.id;
      try {
        if (typeof reply === 'string') await this.sender.send(reply, false);
        else await this.sender.sendLoaded(reply, false);
      } catch (error) {
        if (!(error instanceof RetryableSendError))
          this.logger.warn(`Reply ${replyId} not sent at once: ${(error as Error).message}`);
        // The later replies in hand were stored claimed for this run: pending again, for their jobs.
        await this.sender.giveBack(replies.slice(index + 1));
        await enqueueSafely(
          this.outbound,
          this.outboundJobs(
            replies.slice(index).map((later) => (typeof later === 'string' ? later : later.id)),
          ).map((job) => ({ ...job, opts: retryOptions() })),
          this.logger,
        );
        return;
      }
    }
  }

  /** Queues replies whose rows are committed; what cannot be queued now, the reply sweeper picks up. */
  async enqueueReplies(replyIds: string[]): Promise<void> {
    await enqueueSafely(this.outbound, this.outboundJobs(replyIds), this.logger);
  }

  /** For the sweeper: queues the pending replies the queue does not already hold. */
  async requeueReplies(replyIds: string[]): Promise<void> {
    await enqueueMissing(this.outbound, this.outboundJobs(replyIds), this.logger);
  }

  private outboundJobs(replyIds: string[]): { data: { replyId: string }; jobId: string }[] {
    return replyIds.map((replyId) => ({ data: { replyId }, jobId: replyId }));
  }

  /**
   * Opens the conversations (or moves their last inbound time and referrals) and logs the inbound
   * messages; contacts must be distinct. Rows come back in the order of `events`. A contact the
   * transaction created has no conversation: its first event's conversation is inserted in a
   * statement that waits for no answer (`openNew`); the others' are one statement, whose answer
   * they wait for.
   */
  private async openConversations(
    events: InboundEvent[],
    tx: EntityManager,
  ): Promise<ConversationRow[]> {
    const referralIds = await this.referralIds(events, tx);
    const toLog = events.map((event, k) => ({ ...event, referralId: referralIds[k] }));
    const isNew = toLog.map(
      (event) =>
        // Marked for every contact, so a created contact's later event finds its conversation.
        firstInTransaction(tx, `conversation-opened:${event.contactId}`) &&
        event.contact.createdInTransaction === true,
    );
    const known = toLog.filter((_, k) => !isNew[k]);
    const rows = [
      ...(await this.repository.openNew(
        tx,
        toLog.filter((_, k) => isNew[k]),
      )),
      ...(known.length > 0 ? await this.repository.openAndLog(tx, known) : []),
    ];
    const opened = new Map(rows.map((row) => [row.contactId, row]));
    return events.map((event) => {
      const row = opened.get(event.contactId);
      if (!row) throw new Error('conversation upsert returned no row');
      return row;
    });
  }
}
