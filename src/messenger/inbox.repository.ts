import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type ContactKey, contactKeyOf, knownKeysExpr, knownKeysValues } from '../contacts';
import { type Carrying } from '../conversations';
import { planOwn, prepared, preparedCarried, SequenceIds } from '../database';
import {
  activeReferralsExpr,
  activeReferralsValues,
  primeActiveReferrals,
  type ReferralLookup,
} from '../referrals';
import { type InboxStatus } from './entities/inbox-item.entity';
import { type MessagingItemType } from './intake/classify';

/** An item as the webhook stores it. */
export interface NewInboxItem {
  dedupeKey: string;
  pageId: string;
  botId: string | null;
  senderKey: string | null;
  kind: MessagingItemType;
  standby: boolean;
  occurredAt: Date;
  /** The item as JSON text. */
  json: string;
  status: InboxStatus;
  note: string | null;
}

/** A stored item, as the inbound job reads it. */
export interface InboxRow {
  id: string;
  pageId: string;
  botId: string | null;
  senderKey: string | null;
  standby: boolean;
  occurredAt: Date;
  payload: Record<string, unknown>;
  status: InboxStatus;
}

/** An item's outcome, written back to the inbox. */
export interface Outcome {
  id: string;
  status: InboxStatus;
  note: string | null;
}

/** One contact's newest item asked for: its pending items up to this one are handled. */
export interface ContactBound {
  pageId: string;
  senderKey: string;
  occurredAt: Date;
  id: string;
}

/**
 * What `lockPendingUpTo` took: the items, and of the contacts asked about (`contactKeyOf`
 * strings) those that had their profile looked up and those that do not exist.
 */
export interface LockedPending {
  items: InboxRow[];
  profiled: Set<string>;
  absent: Set<string>;
}

const INSERT_COLUMNS =
  'dedupe_key, page_id, bot_id, sender_key, kind, standby, occurred_at, payload, status, note';
const INSERT_TYPES = `$1::varchar[], $2::varchar[], $3::uuid[], $4::varchar[], $5::varchar[],
  $6::boolean[], $7::timestamptz[], $8::jsonb[], $9::varchar[], $10::text[]`;

/** The values of INSERT_COLUMNS, column by column. */
function insertValues(items: NewInboxItem[]): unknown[][] {
  return [
    items.map((r) => r.dedupeKey),
    items.map((r) => r.pageId),
    items.map((r) => r.botId),
    items.map((r) => r.senderKey),
    items.map((r) => r.kind),
    items.map((r) => r.standby),
    items.map((r) => r.occurredAt),
    items.map((r) => r.json),
    items.map((r) => r.status),
    items.map((r) => r.note),
  ];
}

const INBOX_COLUMNS = `id, page_id AS "pageId", bot_id AS "botId", sender_key AS "senderKey", standby,
  occurred_at AS "occurredAt", payload, status`;

/**
 * Ids for new inbox rows taken ahead from the table's own sequence (SequenceIds): the webhook's
 * items stored by the inbound batch that handles them (`insertWithIds`) are known by their ids
 * before the batch's statements run. Inbox ids follow no order anyone reads them in: items are
 * ordered by Meta's timestamp, the id only breaking ties, and the sweeper by `received_at`.
 */
@Injectable()
export class InboxIds extends SequenceIds {
  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource, 'messenger_inbox_id_seq');
  }
}

/**
 * The `messenger_inbox` table's statements (those of every delivery named and prepared; the
 * sweeper's and the purge's, run every few seconds or hourly, are not). Every item Meta delivers is
 * a row, keyed by its dedupe key, from the webhook's INSERT to the inbound job's outcome.
 */
@Injectable()
export class InboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Stores items in one statement; an item whose dedupe key is stored already is skipped. Returns
   * the new rows only (a redelivery returns nothing), in no particular order.
   */
  insertMany(
    items: NewInboxItem[],
  ): Promise<{ id: string; status: InboxStatus; dedupeKey: string }[]> {
    return prepared(
      this.dataSource.manager,
      'messenger_inbox_insert',
      `INSERT INTO messenger_inbox (${INSERT_COLUMNS})
       SELECT * FROM unnest(${INSERT_TYPES})
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id, status, dedupe_key AS "dedupeKey"`,
      insertValues(items),
    );
  }

  /**
   * `insertMany` for items whose ids were taken ahead (InboxIds), in `manager`'s transaction
   * (none by default): issued carried (preparedCarried), so in a pipelined transaction it travels
   * with the next statement, which then sees the new rows. Resolves once issued to `{ result }`, the promise of
   * the ids of the rows that were new (a redelivery's is missing); a failure fails the transaction.
   */
  insertWithIds(
    items: (NewInboxItem & { id: string })[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<{ result: Promise<{ id: string }[]> }> {
    return preparedCarried(
      manager,
      'messenger_inbox_insert_ids',
      // An item stored handled (ignored) is stored with the time, as the mark of one handled later.
      `INSERT INTO messenger_inbox (${INSERT_COLUMNS}, id, processed_at)
       SELECT i.*, CASE WHEN i.status <> 'pending' THEN now() END
         FROM unnest(${INSERT_TYPES}, $11::bigint[]) AS i(${INSERT_COLUMNS}, id)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING id`,
      [...insertValues(items), items.map((r) => r.id)],
    );
  }

  /** The items of `ids` still pending (a handled one is skipped: its job ran twice). */
  pending(ids: string[]): Promise<InboxRow[]> {
    return prepared<InboxRow[]>(
      this.dataSource.manager,
      'messenger_inbox_get_pending',
      `SELECT ${INBOX_COLUMNS} FROM messenger_inbox WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [ids],
    );
  }

  /**
   * Takes the contacts' transaction locks (in one order for everyone, so two batches cannot
   * deadlock), then their pending items up to each bound, oldest first, in one round trip (the
   * function `messenger_inbox_lock_pending`, migration 1796570000000-InboxLockPending). FOR UPDATE
   * re-checks each row after the lock, so items another batch finished meanwhile are skipped.
   * `contactsOf`: contact keys to check in the same round trip; `profiled` holds those whose
   * contact had its profile looked up, `absent` those that have no contact (`contactKeyOf`
   * strings; read after the locks, so the profile or the contact a batch this one waited for
   * wrote counts; when no item comes back, neither holds any).
   * `referralsOf`: referral look-ups (the refs the items carry) read in the same round trip, after
   * the locks; what they found serves `tx`'s later look-ups of them (`primeActiveReferrals`).
   * It also sets the planner for the rest of `tx`: generic plans (`plan_cache_mode`), and no
   * sequential scan where an index serves (`enable_seqscan`; see the migration). Call it first in
   * the inbound batch's transaction, whose prepared statements are fed by `unnest` and would
   * otherwise be planned anew on every call (0.07-0.35 ms each, pg_stat_statements), and whose
   * plans, made once per connection, must not keep a table's small size in them. Its prepared
   * statements then have names of their own (`planOwn`), so these settings make their plans.
   */
  async lockPendingUpTo(
    tx: EntityManager,
    bounds: ContactBound[],
    contactsOf: ContactKey[] = [],
    referralsOf: ReferralLookup[] = [],
  ): Promise<LockedPending> {
    planOwn(tx, 'batch');
    type Known = { known: string[]; profiled: string[] } | null;
    const rows = await prepared<(InboxRow & { contacts: Known; referrals: unknown })[]>(
      tx,
      'messenger_inbox_lock_pending',
      // The function's rows are its tuplestore's, in order; the lent reads run with the first.
      `SELECT ${INBOX_COLUMNS},
              CASE WHEN i.ordinality = 1 THEN ${knownKeysExpr(5)} END AS contacts,
              CASE WHEN i.ordinality = 1 THEN ${activeReferralsExpr(8)} END AS referrals
         FROM messenger_inbox_lock_pending($1::varchar[], $2::varchar[], $3::timestamptz[], $4::bigint[])
              WITH ORDINALITY AS i`,
      [
        bounds.map((b) => b.pageId),
        bounds.map((b) => b.senderKey),
        bounds.map((b) => b.occurredAt),
        bounds.map((b) => b.id),
        ...knownKeysValues(contactsOf),
        ...activeReferralsValues(referralsOf),
      ],
    );
    if (rows.length > 0) await primeActiveReferrals(tx, referralsOf, rows[0].referrals);
    const contacts = rows[0]?.contacts;
    const known = new Set(contacts?.known);
    return {
      items: rows.map(({ contacts: _, referrals: __, ...item }) => item),
      profiled: new Set(contacts?.profiled),
      absent: new Set(
        contacts ? contactsOf.map(contactKeyOf).filter((key) => !known.has(key)) : [],
      ),
    };
  }

  /**
   * Records outcomes (in the caller's transaction when `manager` is one). `carrying`: a carrier
   * transaction's waiting send records (SentMarks), written by the same statement, its last (the
   * transaction's COMMIT travels with it).
   */
  async mark(
    outcomes: Outcome[],
    manager: EntityManager = this.dataSource.manager,
    carrying?: Carrying,
  ): Promise<void> {
    if (outcomes.length === 0) return;
    const part = carrying?.take() ?? null;
    await prepared(
      manager,
      part ? `messenger_inbox_mark_many_${part.variant}` : 'messenger_inbox_mark_many',
      `${part ? `WITH ${part.ctes(4)} ` : ''}
       UPDATE messenger_inbox i SET status = o.status, note = o.note, processed_at = now()
         FROM unnest($1::bigint[], $2::varchar[], $3::text[]) AS o(id, status, note)
        WHERE i.id = o.id`,
      [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.note),
        ...(part?.values ?? []),
      ],
      { endsTransaction: carrying !== undefined },
    );
  }

  /**
   * Up to `limit` pending items received more than `graceSeconds` ago, oldest first (the inbox
   * sweeper queues them again: their job may be lost). Keeps the order the sweeper drains in. Its
   * index (`ix_messenger_inbox_pending`) serves statements that bound `received_at` only.
   */
  pendingOlderThan(graceSeconds: number, limit: number): Promise<{ id: string }[]> {
    return this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM messenger_inbox
        WHERE status = 'pending' AND received_at < now() - make_interval(secs => $1)
        ORDER BY received_at, id LIMIT $2`,
      [graceSeconds, limit],
    );
  }

  /**
   * Deletes up to `limit` handled items received more than `retentionDays` ago; pending ones are
   * kept whatever their age. Returns how many were deleted.
   */
  async purgeHandled(retentionDays: number, limit: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM messenger_inbox WHERE id IN (
         SELECT id FROM messenger_inbox
          WHERE status <> 'pending' AND received_at < now() - make_interval(days => $1)
          LIMIT $2)`,
      [retentionDays, limit],
    );
    return count;
  }
}
