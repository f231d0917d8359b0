import { InjectQueue } from '@nestjs/bull';
import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { GroupCommit } from '../../common/group-commit';
import { GroupedEnqueue, type JobPayloads, QueueName } from '../../queues';
import { type InboxStatus } from '../entities/inbox-item.entity';
import { InboxRepository, type InboxRow } from '../inbox.repository';
import { InboundInHand } from '../inbound/in-hand';
import { MessengerErrors } from '../messenger.errors';
import { PageDirectory } from '../page-directory';
import { classify, type ClassifiedItem, UNHANDLED_ITEM_TYPES } from './classify';
import { type MessagingItem } from './envelope';
import {
  EnvelopeError,
  firstEntryId,
  type MalformedPart,
  otherObject,
  parseEnvelope,
} from './envelope';
import { storableItem, storableText } from './storable';
import { IntakeRate } from './intake-rate';

type InboundPayload = JobPayloads[typeof QueueName.MessengerInbound];

interface Row extends ClassifiedItem {
  botId: string | null;
  status: InboxStatus;
  note: string | null;
  /** `item` as JSON text, when already made. */
  json?: string;
}

/** A classified item, what cleaning it found and its JSON text (see storableItem). */
interface Classified extends ClassifiedItem {
  problem: string | null;
  json: string;
}

/**
 * What storing an item did: null for a duplicate of a stored item; else the row to hand on, if
 * any (a new pending row stored first), or null (an ignored row, or one its batch stored).
 */
type Stored = { pending: StoredRow | null } | null;

/** A row as committed: its id and the JSON text Postgres holds. */
type StoredRow = Row & { id: string; json: string };

/** SQLSTATE classes of Postgres refusing a value itself (22: data exception, 54: limit exceeded). */
const REFUSED_DATA = /^(22|54)/;

function refusedData(error: unknown): string | null {
  const code = (error as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof code === 'string' && REFUSED_DATA.test(code)
    ? `${code} ${(error as Error).message}`.slice(0, 500)
    : null;
}

/**
 * What is left of an item Postgres refused even after cleaning: who sent it is unknown, its content
 * is gone, and the reason is recorded, so the delivery is still acknowledged and the rest handled.
 */
function unstorableRow(row: Row, reason: string): Row {
  return {
    ...row,
    senderKey: null,
    kind: 'other',
    item: { unstorable: true },
    json: undefined,
    status: 'ignored',
    note: `UNSTORABLE: ${reason}`,
  };
}

/**
 * One inbox row for a whole delivery of another object (Meta's `instagram`, `user`, ...): recorded
 * as ignored, keyed by its content so a redelivery is a duplicate, and never answered.
 */
function ignoredObject(object: string, body: unknown, receivedAt: number): Row {
  const { item, problem } = storableItem(body as MessagingItem);
  const json = JSON.stringify(item);
  return {
    pageId: firstEntryId(body) ?? '-',
    senderKey: null,
    kind: 'other',
    standby: false,
    occurredAt: new Date(receivedAt),
    dedupeKey: `object:${createHash('sha256').update(json).digest('base64url')}`,
    item,
    json,
    botId: null,
    status: 'ignored',
    note: `OBJECT_NOT_HANDLED: ${storableText(object).slice(0, 100)}${problem ? `; ${problem}` : ''}`,
  };
}

/**
 * One inbox row for a part of a page envelope that is not Meta's shape (an entry without a page id,
 * an item that is no object, ...): recorded as ignored with the reason and never answered, keyed by
 * the whole delivery's content and the part's place, so a redelivery is a duplicate.
 */
function malformedRow(part: MalformedPart, body: unknown, receivedAt: number): Row {
  const { item, problem } = storableItem({ value: part.value });
  const json = JSON.stringify(item);
  const delivery = storableItem(body as MessagingItem).json;
  return {
    pageId: part.pageId ?? '-',
    senderKey: null,
    kind: 'other',
    standby: false,
    occurredAt: new Date(receivedAt),
    dedupeKey: `malformed:${createHash('sha256').update(delivery).update(part.reason).digest('base64url')}`,
    item,
    json,
    botId: null,
    status: 'ignored',
    note: `MALFORMED: ${part.reason}${problem ? `; ${problem}` : ''}`,
  };
}

/** `row` with its item's JSON text (made once: the envelope's items come with theirs). */
function withJson(row: Row): Row & { json: string } {
  return { ...row, json: row.json ?? JSON.stringify(row.item) };
}

/**
 * A committed row as the inbound job would read it back: the payload parsed from the JSON text
 * stored (not the item object, so it is what Postgres holds, to the value).
 */
function inboxRowOf(row: StoredRow): InboxRow {
  return {
    id: row.id,
    pageId: row.pageId,
    botId: row.botId,
    senderKey: row.senderKey,
    standby: row.standby,
    occurredAt: row.occurredAt,
    payload: JSON.parse(row.json) as Record<string, unknown>,
    status: 'pending',
  };
}

function triage(item: Classified, botId: string | null): Row {
  const ignore = (note: string): Row => ({ ...item, botId, status: 'ignored', note });
  if (!botId) return ignore('PAGE_NOT_CONNECTED');
  if (item.problem) return ignore(item.problem);
  if (!item.senderKey) return ignore('NO_SENDER');
  if (UNHANDLED_ITEM_TYPES.has(item.kind)) return ignore(`NOT_ANSWERED: ${item.kind}`);
  return { ...item, botId, status: 'pending', note: null };
}

/**
 * The webhook's work: store every item durably before answering. A delivery's pending items go,
 * when this process may (InboundInHand.idsToStoreInBatch), to the inbound batch that stores them
 * with their handling, in one transaction. Otherwise, and for the rest: concurrent deliveries are
 * stored together (group commit), one statement per group, and a delivery's new pending items are
 * handed on together once all are committed (to this process in hand, or one enqueue per
 * delivery). Postgres failing is the caller's 503; Redis failing only delays processing (the inbox
 * sweeper queues what is left).
 */
@Injectable()
export class MessengerIntakeService {
  private readonly logger = new Logger(MessengerIntakeService.name);
  /** Rows of concurrent deliveries stored together; one Postgres refuses fails alone. */
  private readonly inbox = new GroupCommit<Row, Stored>((rows) => this.store(rows), {
    retryAlone: (error, rows) =>
      this.logger.warn(
        `Storing ${rows} webhook items together failed (${(error as Error).message}); storing them one by one`,
      ),
  });

  /** The inbound jobs of concurrent deliveries, added together. */
  private readonly jobs: GroupedEnqueue<InboundPayload>;

  constructor(
    private readonly inboxTable: InboxRepository,
    @InjectQueue(QueueName.MessengerInbound) queue: Queue<InboundPayload>,
    private readonly pages: PageDirectory,
    private readonly rate: IntakeRate,
    private readonly inHand: InboundInHand,
  ) {
    this.jobs = new GroupedEnqueue(queue, this.logger);
  }

  /** Returns how many items were new. Resolves once they are committed. */
  async receive(body: unknown): Promise<number> {
    this.rate.record();
    let rows: Row[];
    try {
      const receivedAt = Date.now();
      const object = otherObject(body);
      if (object !== null) rows = [ignoredObject(object, body, receivedAt)];
      else {
        const malformed: MalformedPart[] = [];
        const items = parseEnvelope(body, malformed).map((envelopeItem): Classified => {
          const { item, problem, json } = storableItem(envelopeItem.item);
          return { ...classify({ ...envelopeItem, item }, receivedAt), problem, json };
        });
        rows = await Promise.all(
          items.map(async (item) => triage(item, await this.pages.botIdFor(item.pageId))),
        );
        rows.push(...malformed.map((part) => malformedRow(part, body, receivedAt)));
      }
    } catch (error) {
      if (error instanceof EnvelopeError) throw MessengerErrors.invalidBody(error.message);
      this.logger.error(
        `Could not look up the pages of webhook items: ${(error as Error).message}`,
      );
      throw MessengerErrors.storageUnavailable();
    }
    if (rows.length === 0) return 0;
    const pending = rows.filter((row) => row.status === 'pending');
    this.inHand.expect(pending);
    try {
      const ids = this.inHand.idsToStoreInBatch(pending.length);
      const inBatch = ids ? this.storeInBatch(pending, ids) : null;
      // Row by row, so the items Postgres takes are kept when it refuses one of them; every row
      // is settled before answering, so a 503 never races the rows still being stored. The
      // pending ones wait for their batch, and are stored alone if it failed.
      const stored = await Promise.allSettled(
        rows.map(async (row) => {
          const batch = row.status === 'pending' ? await inBatch : null;
          return batch ? (batch.get(row) as Stored) : this.storeOne(row);
        }),
      );
      const kept = stored.flatMap((result) =>
        result.status === 'fulfilled' && result.value ? [result.value] : [],
      );
      // Only once every item of the delivery is committed: a contact's items that Meta put in one
      // delivery out of order are then all pending when the first is handled, so its lock takes
      // them in timestamp order (handed on flush by flush, the newest could go first alone).
      this.handOn(kept.flatMap((row) => (row.pending ? [row.pending] : [])));
      const refused = stored.find((result) => result.status === 'rejected');
      if (refused) throw refused.reason;
      return kept.length;
    } catch (error) {
      this.logger.error(`Could not store webhook items: ${(error as Error).message}`);
      throw MessengerErrors.storageUnavailable();
    }
  }

  /**
   * Stores a delivery's pending rows in the transaction of the inbound batch that handles them
   * (InboundInHand.storeAndHandle), with `ids` taken ahead: what each became once committed (null
   * for a redelivery), none of them to hand on. Null when the batch failed or none took the rows
   * in time: nothing of them is stored, and they are stored the usual way (a row Postgres refuses
   * then becomes a stub).
   */
  private async storeInBatch(rows: Row[], ids: string[]): Promise<Map<Row, Stored> | null> {
    try {
      const arriving = rows.map((row, k) => {
        const item = { ...withJson(row), id: ids[k] };
        return { ...inboxRowOf(item), arriving: item };
      });
      const isNew = await this.inHand.storeAndHandle(arriving);
      return new Map(rows.map((row, k) => [row, isNew[k] ? { pending: null } : null]));
    } catch (error) {
      this.logger.warn(
        `Storing ${rows.length} webhook items with their handling failed (${(error as Error).message}); storing them alone`,
      );
      return null;
    }
  }

  /**
   * Stores one row. A row Postgres refuses for its content (not for being down) is stored again as
   * an ignored stub with the reason: one odd item must never make Meta redeliver the whole POST.
   */
  private async storeOne(row: Row): Promise<Stored> {
    try {
      const [stored] = await this.inbox.submit([row]);
      return stored;
    } catch (error) {
      const reason = refusedData(error);
      if (!reason) throw error;
      this.logger.warn(
        `Webhook item ${row.dedupeKey} refused by Postgres, kept as a stub: ${reason}`,
      );
      const [stored] = await this.inbox.submit([unstorableRow(row, reason)]);
      return stored;
    }
  }

  private async store(rows: Row[]): Promise<Stored[]> {
    const items = rows.map(withJson);
    const inserted = await this.inboxTable.insertMany(items);
    // The same item twice in one group: only its first occurrence is new.
    const byKey = new Map(inserted.map((row) => [row.dedupeKey, row]));
    return items.map((item) => {
      const row = byKey.get(item.dedupeKey);
      byKey.delete(item.dedupeKey);
      if (!row) return null;
      return { pending: row.status === 'pending' ? { ...item, id: row.id } : null };
    });
  }

  /** Hands a delivery's new pending items to this process (InboundInHand), and queues the rest. */
  private handOn(rows: StoredRow[]): void {
    // Only a row taken in hand is parsed back from its JSON text.
    const queued = this.inHand.take(rows, inboxRowOf);
    // Not awaited: the items are safe in Postgres, and the webhook should answer without Redis.
    void this.jobs.add(queued.map((row) => ({ data: { inboxId: row.id }, jobId: row.id })));
  }
}
