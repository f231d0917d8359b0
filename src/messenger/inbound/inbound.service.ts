import { Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { GroupCommit } from '../../common/group-commit';
import { AppConfig } from '../../config';
import { contactKeyOf, ContactsService, type SubscriptionEvent } from '../../contacts';
import {
  ContactMergeService,
  ConversationsService,
  type InboundEvent,
  type ReplyRow,
  SentMarks,
} from '../../conversations';
import { type ReferralLookup } from '../../referrals';
import {
  InboxRepository,
  type InboxRow,
  type LockedPending,
  type Outcome,
} from '../inbox.repository';
import { IntakeRate } from '../intake/intake-rate';
import { PageDirectory } from '../page-directory';
import { contactOf, isOlder, queuesOf, referralLookupsOf, toEvent } from './inbox-rows';
import { ARRIVING_START_WITHIN_MS, type ArrivingRow, arrivingRowsOf, isArriving } from './arriving';
import {
  type Asked,
  type AskedResult,
  type ContactWork,
  type Handled,
  idOf,
  isPsid,
  type QueuedItem,
  type Together,
  type WrittenReply,
} from './batch-types';
import { inboundBatching } from './batching';
import { normalise, type NormalisedItem } from './normalise';
import { ProfilePrefetch } from './profile-prefetch';
import { checkboxUserRefOf, subscriptionOf } from './platform-events';

/**
 * Turns stored webhook items into conversation work. Items of one contact are handled one at a
 * time, oldest first: a per-contact lock, then every pending item of that contact up to the newest
 * one asked for, each in the same transaction as its effects, so a redelivered or retried item is
 * answered and counted exactly once. Items asked for while a batch runs are handled together by
 * the next one (one transaction, shared lookups); a batch that fails is retried item by item, so
 * one bad item only fails its own job.
 */
@Injectable()
export class MessengerInboundService {
  private readonly logger = new Logger(MessengerInboundService.name);
  /** Per item asked for: what the batch did for it (AskedResult). */
  private readonly batches = new GroupCommit<Asked, AskedResult>(
    (asked) => this.processBatch(asked),
    {
      ...inboundBatching(this.config.messenger.inboundPairing),
      retryAlone: (error, jobs) =>
        this.logger.warn(
          `A batch of ${jobs} inbox items failed (${(error as Error).message}); handling them one by one`,
        ),
    },
  );

  constructor(
    private readonly inbox: InboxRepository,
    private readonly contacts: ContactsService,
    private readonly conversations: ConversationsService,
    private readonly pages: PageDirectory,
    private readonly profiles: ProfilePrefetch,
    private readonly intakeRate: IntakeRate,
    private readonly config: AppConfig,
    private readonly merges: ContactMergeService,
    private readonly sentMarks: SentMarks,
  ) {
    // Each batch has a transaction open anyway: it records the sends that finished meanwhile.
    // One is expected while a batch runs or waits, and shortly after one ended: at a steady 150
    // deliveries/s the next starts ~7 ms later, so a send finishing between two batches waits
    // for the next instead of costing a transaction of its own (a fifth of the sends did).
    this.sentMarks.addCarrier(() => this.batches.idleMs < this.sentMarks.carryWaitMs);
  }

  /**
   * Handles one stored item (and the older pending items of its contact), then hands the replies
   * written for them to conversations (queued or sent at once); throws its own failure (a failed
   * send is the outbound queue's to retry).
   */
  async process(inboxId: string): Promise<void> {
    const [{ replies }] = await this.batches.submit([inboxId]);
    await this.conversations.sendReplies(replies);
  }

  /**
   * `process` for an item the webhook committed a moment ago, with its row in hand (InboundInHand):
   * the same handling, without reading the row back.
   */
  async processInHand(row: InboxRow): Promise<void> {
    const [{ replies }] = await this.batches.submit([row]);
    await this.conversations.sendReplies(replies);
  }

  /**
   * Stores the webhook's items (`rows`, pending, one delivery's) in the transaction of the batch
   * that handles them: the delivery's INSERT travels with the batch's first statement, and one
   * commit makes the items and their effects durable together, where storing them first cost a
   * round trip and a commit of its own. Resolves once committed to, per item, whether it is new (a
   * redelivery's dedupe key was stored already), and `sent`, the sending of the replies written
   * (never rejects). Throws when the batch failed (it is not tried again), or GroupCommitNotStarted
   * when no batch took the items within ARRIVING_START_WITHIN_MS: then nothing of them is stored,
   * and the caller stores them the usual way.
   */
  async storeAndProcess(rows: ArrivingRow[]): Promise<{ stored: boolean[]; sent: Promise<void> }> {
    // Meta waits for this batch: one that has not started within half a second, or failed, is
    // not waited for again (nothing of it stored, the webhook stores the items first).
    const results = await this.batches.submit(rows, {
      startWithinMs: ARRIVING_START_WITHIN_MS,
      once: true,
    });
    return {
      stored: results.map((result) => result.stored),
      sent: this.conversations.sendReplies(results.flatMap((result) => result.replies)),
    };
  }

  /** Items waiting for a batch (not in one yet). */
  get waitingItems(): number {
    return this.batches.waitingItems;
  }

  /** Records a failure that retrying will not fix, so the item stops being retried and swept. */
  async fail(inboxId: string, reason: string): Promise<void> {
    await this.inbox.mark([{ id: inboxId, status: 'failed', note: reason.slice(0, 1000) }]);
  }

  private async processBatch(asked: Asked[]): Promise<AskedResult[]> {
    // A process that also serves the webhook answers Meta first when flooded; a batch that
    // stores arriving items is that answer.
    const arriving = asked.some(isArriving);
    if (!arriving) await this.intakeRate.yieldWhileFlooded();
    // A lone item (a batch of one, or one retried alone) takes the careful path: its contact's
    // older items run in savepoints, so they cannot fail it.
    const { toSend, inserted } = await this.handleTogether(asked, asked.length === 1);
    return asked.map((item) => ({
      replies: toSend.get(idOf(item)) ?? [],
      stored: !isArriving(item) || inserted.has(item.id),
    }));
  }

  /**
   * Handles the items in one transaction, the arriving ones stored first in it; returns, per item
   * asked for that is its contact's newest, the replies written for that contact's items, oldest
   * first (sent by that item's caller), and which arriving items were stored (new).
   */
  private async handleTogether(asked: Asked[], careful: boolean): Promise<Together> {
    const ids = asked.map(idOf);
    const items = await this.pendingOf(asked);
    const ignored: Outcome[] = [];
    const contacts = new Map<string, ContactWork>();
    // Each item is normalised once; a contact's older items the lock brings in, when they come.
    const said = new Map<string, NormalisedItem | null>();
    for (const item of items) {
      const botId = item.botId ?? (await this.pages.botIdFor(item.pageId));
      const who = normalise(item.payload, this.config.messenger.appId);
      said.set(item.id, who);
      if (!botId || !who || !item.senderKey) {
        const note = botId ? 'NO_SENDER' : 'PAGE_NOT_CONNECTED';
        ignored.push({ id: item.id, status: 'ignored', note });
        continue;
      }
      const known = contacts.get(contactOf(item));
      if (known && isOlder(item, known.last)) continue;
      contacts.set(contactOf(item), {
        key: {
          botId,
          channel: 'messenger',
          externalId: who.externalId,
          externalIdKind: who.externalIdKind,
        },
        pageId: item.pageId,
        senderKey: item.senderKey,
        last: item,
      });
    }
    // An arriving item the batch ignores is stored as such, with the other arriving ones.
    const arriving = arrivingRowsOf(items, ignored);
    const storedHere = new Set(arriving.map((row) => row.id));
    await this.inbox.mark(ignored.filter((outcome) => !storedHere.has(outcome.id)));
    const toSend = new Map<string, (string | ReplyRow)[]>();
    if (contacts.size === 0) {
      if (arriving.length === 0) return { toSend, inserted: new Set() };
      const { result } = await this.inbox.insertWithIds(arriving);
      return { toSend, inserted: new Set((await result).map((row) => row.id)) };
    }
    let stored: Promise<{ id: string }[]> = Promise.resolve([]);
    // The batch's transaction also records the sends that finished while it ran (SentMarks).
    const replies = await this.sentMarks.transaction(async (tx, carrying) => {
      // Carried: the items travel with the lock statement, which then takes them as pending.
      if (arriving.length > 0) stored = (await this.inbox.insertWithIds(arriving, tx)).result;
      // First: it also sets the planner for the batch's statements (generic plans, by index).
      const all = [...contacts.values()];
      const botOf = (item: InboxRow) => contacts.get(contactOf(item))?.key.botId;
      const referrals = referralLookupsOf(items, botOf, said);
      const { queues, profiled, absent } = await this.lockAndQueue(tx, all, referrals);
      const work = all.filter((c) => queues.has(contactOf(c)));
      // The profile look-ups (Graph API calls, 3 s at most) run while checkbox identities link.
      const profiles = this.lookUpProfiles(work.filter(isPsid), profiled);
      // Awaited below; a failure of the transaction before then must not leave it unhandled.
      profiles.catch(() => undefined);
      // A contact an opt-in's identity became (renamed or merged into) exists now.
      for (const key of await this.linkCheckboxIdentities(tx, work, queues)) absent.delete(key);
      await profiles;
      const seen = await this.contacts.recordSeenMany(
        work.map((c) => ({
          key: c.key,
          seenAt: queues.get(contactOf(c))![0].occurredAt,
          profile: c.profile,
        })),
        tx,
        absent,
      );
      const rows = work.flatMap((c, index) =>
        queues.get(contactOf(c))!.map((row) => ({
          row,
          botId: c.key.botId,
          ...seen[index],
          said: said.has(row.id)
            ? said.get(row.id)!
            : normalise(row.payload, this.config.messenger.appId),
        })),
      );
      const handled = careful
        ? await this.handleOneByOne(tx, rows, new Set(ids))
        : await this.handleAll(tx, rows);
      // Its last statement: it carries the sends that finished meanwhile (SentMarks).
      await this.inbox.mark(handled.outcomes, tx, carrying);
      return handled.replies;
    });
    for (const { contact, reply } of replies) {
      const asked = contacts.get(contact)!.last.id;
      toSend.set(asked, [...(toSend.get(asked) ?? []), await reply]);
    }
    return { toSend, inserted: new Set((await stored).map((row) => row.id)) };
  }

  /**
   * The rows of the items asked for: those in hand as they are (committed pending by the webhook,
   * or arriving, to be stored by this batch; one handled meanwhile is left out under the
   * contact's lock), the others read if still pending.
   */
  private async pendingOf(asked: Asked[]): Promise<InboxRow[]> {
    const inHand = asked.filter((item): item is InboxRow => typeof item !== 'string');
    const toRead = asked.filter((item): item is string => typeof item === 'string');
    return toRead.length === 0 ? inHand : [...inHand, ...(await this.inbox.pending(toRead))];
  }

  /**
   * A PSID's first message after a checkbox plugin opt-in names the opt-in's user_ref
   * (`prior_message`): the user_ref's contact takes the PSID as its own id before the message is
   * handled, so it lands on that contact (memberships, entries, conversation and all); a PSID that
   * had a contact of its own already absorbs the user_ref's (see ContactMergeService). Returns
   * the keys (`contactKeyOf`) of the PSIDs it linked or tried to: their contact may exist now.
   */
  private async linkCheckboxIdentities(
    tx: EntityManager,
    work: ContactWork[],
    queues: Map<string, InboxRow[]>,
  ): Promise<string[]> {
    const linkedKeys: string[] = [];
    for (const c of work) {
      if (c.key.externalIdKind !== 'psid') continue;
      const userRef = queues
        .get(contactOf(c))!
        .map((row) => checkboxUserRefOf(row.payload))
        .find((ref) => ref !== null);
      if (!userRef) continue;
      const linked = await this.merges.link(tx, c.key.botId, 'messenger', userRef, {
        externalId: c.key.externalId,
        externalIdKind: 'psid',
      });
      if (linked) this.logger.log(`Contact ${linked}: checkbox user_ref now known by its PSID`);
      linkedKeys.push(contactKeyOf(c.key));
    }
    return linkedKeys;
  }

  /** Every item set-based, in one go: the fast path, all or nothing. */
  private async handleAll(tx: EntityManager, rows: QueuedItem[]): Promise<Handled> {
    const outcomes: Outcome[] = [];
    const events: InboundEvent[] = [];
    const eventRows: InboxRow[] = [];
    const subscriptions: SubscriptionEvent[] = [];
    const receipts: InboundEvent[] = [];
    for (const { row, botId, contact, created, said } of rows) {
      // Marketing-message opt-ins change a subscription: nothing to answer, no entry to count.
      const subscription = subscriptionOf(row.payload);
      if (subscription) {
        subscriptions.push({
          ...subscription,
          botId,
          contactId: contact.id,
          channel: 'messenger',
          occurredAt: row.occurredAt,
        });
        outcomes.push({
          id: row.id,
          status: 'processed',
          note: `SUBSCRIPTION: ${subscription.type}`,
        });
        continue;
      }
      const event = toEvent(row, botId, contact, said, created);
      if (!event) {
        outcomes.push({ id: row.id, status: 'ignored', note: 'NO_SENDER' });
        continue;
      }
      // Receipts say what the contact's device did, not what the contact said: no conversation turn.
      if (event.receipt) {
        receipts.push(event);
        outcomes.push({ id: row.id, status: 'processed', note: null });
        continue;
      }
      events.push(event);
      eventRows.push(row);
    }
    await this.contacts.recordSubscriptions(subscriptions, tx);
    await this.conversations.recordReceipts(receipts, tx);
    const results = await this.conversations.handleInboundMany(events, tx);
    const replies: WrittenReply[] = [];
    results.forEach((result, index) => {
      outcomes.push({ id: eventRows[index].id, status: 'processed', note: null });
      if (result.replyId)
        replies.push({
          contact: contactOf(eventRows[index]),
          reply: result.reply ?? result.replyId,
        });
    });
    return { outcomes, replies };
  }

  /**
   * Item by item, for a retry: an older item no job asked for runs in a savepoint, so if it fails
   * it stays pending for its own job instead of blocking the one asked for.
   */
  private async handleOneByOne(
    tx: EntityManager,
    rows: QueuedItem[],
    asked: Set<string>,
  ): Promise<Handled> {
    const handled: Handled = { outcomes: [], replies: [] };
    for (const item of rows) {
      const one = asked.has(item.row.id)
        ? await this.handleAll(tx, [item])
        : await tx
            .transaction((savepoint) => this.handleAll(savepoint, [item]))
            .catch((error: Error) => {
              this.logger.warn(`Inbox item ${item.row.id} left for its own job: ${error.message}`);
              return null;
            });
      if (!one) continue;
      handled.outcomes.push(...one.outcomes);
      handled.replies.push(...one.replies);
    }
    return handled;
  }

  /** The contacts' pending items, oldest first, under their locks (and `referrals`, read ahead). */
  private async lockAndQueue(
    tx: EntityManager,
    contacts: ContactWork[],
    referrals: ReferralLookup[],
  ): Promise<Omit<LockedPending, 'items'> & { queues: Map<string, InboxRow[]> }> {
    const { items, ...contactsRead } = await this.inbox.lockPendingUpTo(
      tx,
      contacts.map((c) => ({
        pageId: c.pageId,
        senderKey: c.senderKey,
        occurredAt: c.last.occurredAt,
        id: c.last.id,
      })),
      contacts.filter(isPsid).map((c) => c.key),
      referrals,
    );
    return { queues: queuesOf(items), ...contactsRead };
  }

  /**
   * Profile names of the PSID `contacts` never looked up (`profiled`: the keys of those that
   * were), on the Graph API (3 s at most each; the look-up started as the item arrived, when it
   * was: ProfilePrefetch). A failed lookup is recorded too (null names), so it is not repeated;
   * the other contacts get no `profile`.
   */
  private async lookUpProfiles(contacts: ContactWork[], profiled: Set<string>): Promise<void> {
    await Promise.all(
      contacts.map(async (c) => {
        const { botId, externalId } = c.key;
        if (profiled.has(contactKeyOf(c.key))) this.profiles.lookedUp(botId, externalId);
        else c.profile = { names: await this.profiles.take(botId, externalId) };
      }),
    );
  }
}
