import { type EntityManager } from 'typeorm';
import { prepared } from '../../database';
import { BUCKET_MS, TOTAL } from './rollups';

/**
 * The funnel rules that live in SQL: receipts, answers and entries of one contact are written by
 * concurrent jobs, so Postgres applies them to the rows it has. Each is a named SQL condition or
 * expression used below, shown through the channels by test/analytics/funnel.e2e-spec.ts (the
 * engagement window) and test/widget/receipts.e2e-spec.ts (watermarks, a read implying delivery).
 */
export const FunnelRules = {
  /** A contact's last entry into a referral only moves forward (a late delivery never moves it back). */
  lastEntryOnlyMovesForward: (current: string, incoming: string): string =>
    `GREATEST(${current}, ${incoming})`,
  /** A receipt (watermark `at`) covers only answers sent up to it. */
  receiptCoversAnswer: (sentAt: string, at: string): string => `${sentAt} <= ${at}`,
  /** A read implies delivery: an answer read before any delivery receipt is delivered then too. */
  readImpliesDelivered: (deliveredAt: string, readAt: string): string =>
    `coalesce(${deliveredAt}, ${readAt})`,
  /**
   * A contact engages with a referral once, by a message or tap within `window` after its latest
   * entry into it.
   */
  engagesWithinWindow: (lastEnteredAt: string, at: string, window: string): string =>
    `${lastEnteredAt} <= ${at} AND ${lastEnteredAt} > ${at} - ${window}`,
} as const;
const R = FunnelRules;

/** A rollup's dimensions as the funnel's UPDATE ... RETURNING statements give them back. */
export interface FunnelDimensions {
  referral_id: string;
  bot_id: string;
  source: string;
  channel: string;
  ad_id: string;
}

/** A contact's first entry into a referral in this batch, and its last. */
export interface ContactEntryPair {
  referralId: string;
  contactId: string;
  botId: string;
  firstEnteredAt: Date;
  lastEnteredAt: Date;
  source: string;
  channel: string;
  adId: string;
  /** Whether the contact was new to the bot at the pair's first entry (`is_new_contact`). */
  isNewContact: boolean;
}

/** A receipt's watermark for one contact: everything sent up to `at` was delivered / read. */
export interface Watermark {
  botId: string;
  contactId: string;
  at: Date;
}

/** A referral a contact came through, and when (first or last). */
export interface TouchRow {
  kind: 'first' | 'last';
  referralId: string;
  trackingParam: string;
  at: Date;
}

/**
 * Rows an UPDATE ... RETURNING gave back: TypeORM hands UPDATE results over as [rows, rowCount]
 * (other statements as the rows alone).
 */
async function updated<T>(
  tx: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const result = await prepared<[T[], number] | T[]>(tx, name, text, values);
  return Array.isArray(result[0]) ? result[0] : (result as T[]);
}

/**
 * The statement recording (referral, contact) pairs in `referral_contacts` (pairs in key order, so
 * concurrent batches lock rows in one order), its eight arrays numbered from `$first`, returning
 * referral_id, contact_id and `inserted` (the contact's first entry into the referral), to run as
 * the CTE `entered` of the entries' insert (`insertEntries` in referrals.repository.ts: one
 * statement per batch), which `countEntries` reads.
 */
export function enterReferralContacts(first: number): string {
  const $ = (k: number) => `$${first + k}`;
  return `INSERT INTO referral_contacts (referral_id, contact_id, bot_id, first_entered_at, last_entered_at,
                                    source, channel, ad_id)
     SELECT * FROM unnest(${$(0)}::uuid[], ${$(1)}::uuid[], ${$(2)}::uuid[], ${$(3)}::timestamptz[],
                          ${$(4)}::timestamptz[], ${$(5)}::varchar[], ${$(6)}::varchar[], ${$(7)}::varchar[])
     ON CONFLICT (referral_id, contact_id) DO UPDATE
       SET last_entered_at = ${R.lastEntryOnlyMovesForward('referral_contacts.last_entered_at', 'EXCLUDED.last_entered_at')}
     RETURNING referral_id, contact_id, (xmax = 0) AS inserted`;
}

/** Where `countEntries` finds its arrays: the entries' (as `insertEntries` numbers them), the pairs'. */
export interface EntryCountParams {
  botId: number;
  referralId: number;
  source: number;
  channel: number;
  adId: number;
  occurredAt: number;
  /** The first of `enterReferralContacts`' eight arrays. */
  pairs: number;
  /** The pairs' `isNewContact` (`enterReferralContactsIsNew`). */
  pairIsNew: number;
}

/**
 * The CTEs (`entry_counted`, `entry_keyed`, `entry_bumped`) counting a batch's entries in
 * `referral_stats`, to follow `entered` (`enterReferralContacts`) in the entries' insert, so
 * entries and their counts are one round trip: every entry of a known referral in `entries`; each pair `entered` inserted (a contact's
 * first entry into the referral) in `unique_contacts` and, as the contact was new to the bot or
 * not, `new_contacts` or `returning_contacts` (so new + returning = unique), in its first entry's
 * bucket and dimensions. Like `RollupDeltas`: each count in the referral's total row of the
 * 15-minute bucket and in the row of its (source, channel, ad); rows upserted in its key order
 * (byte order of the strings), so this and the other rollup writers lock shared rows in one order;
 * counts of a referral gone meanwhile left out.
 */
export function countEntries($: EntryCountParams): string {
  const bucket = (at: string) =>
    `date_bin('${BUCKET_MS} milliseconds', ${at}, TIMESTAMPTZ 'epoch')`;
  const pair = (k: number) => `$${$.pairs + k}`;
  return `entry_counted AS (
       SELECT e.referral_id, e.bot_id, ${bucket('e.occurred_at')} AS bucket, coalesce(e.source, '') AS source,
              e.channel, coalesce(e.ad_id, '') AS ad_id, 1 AS entries, 0 AS unique_contacts,
              0 AS new_contacts, 0 AS returning_contacts
         FROM unnest($${$.referralId}::uuid[], $${$.botId}::uuid[], $${$.occurredAt}::timestamptz[],
                     $${$.source}::varchar[], $${$.channel}::varchar[], $${$.adId}::varchar[])
              AS e(referral_id, bot_id, occurred_at, source, channel, ad_id)
        WHERE e.referral_id IS NOT NULL
       UNION ALL
       SELECT p.referral_id, p.bot_id, ${bucket('p.first_entered_at')}, p.source, p.channel, p.ad_id, 0, 1,
              p.is_new::int, (NOT p.is_new)::int
         FROM unnest(${pair(0)}::uuid[], ${pair(1)}::uuid[], ${pair(2)}::uuid[], ${pair(3)}::timestamptz[],
                     ${pair(5)}::varchar[], ${pair(6)}::varchar[], ${pair(7)}::varchar[], $${$.pairIsNew}::boolean[])
              AS p(referral_id, contact_id, bot_id, first_entered_at, source, channel, ad_id, is_new)
         JOIN entered x ON x.referral_id = p.referral_id AND x.contact_id = p.contact_id AND x.inserted
     ), entry_keyed AS (
       SELECT referral_id, bot_id, bucket, '${TOTAL}' AS source, '${TOTAL}' AS channel, '${TOTAL}' AS ad_id,
              entries, unique_contacts, new_contacts, returning_contacts
         FROM entry_counted
       UNION ALL
       SELECT * FROM entry_counted WHERE channel <> ''
     ), entry_bumped AS (
     INSERT INTO referral_stats (referral_id, bot_id, bucket, source, channel, ad_id, entries, unique_contacts,
                                 new_contacts, returning_contacts)
     SELECT k.referral_id, k.bot_id, k.bucket, k.source, k.channel, k.ad_id, sum(k.entries), sum(k.unique_contacts),
            sum(k.new_contacts), sum(k.returning_contacts)
       FROM entry_keyed k JOIN referrals r ON r.id = k.referral_id
      GROUP BY k.referral_id, k.bot_id, k.bucket, k.source, k.channel, k.ad_id
      ORDER BY k.referral_id, k.bucket, k.source COLLATE "C", k.channel COLLATE "C", k.ad_id COLLATE "C"
     ON CONFLICT (referral_id, bucket, source, channel, ad_id) DO UPDATE SET
       entries = referral_stats.entries + EXCLUDED.entries,
       unique_contacts = referral_stats.unique_contacts + EXCLUDED.unique_contacts,
       new_contacts = referral_stats.new_contacts + EXCLUDED.new_contacts,
       returning_contacts = referral_stats.returning_contacts + EXCLUDED.returning_contacts
     )`;
}

/** The pairs' `isNewContact`, for `countEntries`' `pairIsNew`. */
export function enterReferralContactsIsNew(pairs: ContactEntryPair[]): unknown[] {
  return [pairs.map((p) => p.isNewContact)];
}

/** The values of `enterReferralContacts`, in its parameters' order. */
export function enterReferralContactsValues(pairs: ContactEntryPair[]): unknown[] {
  return [
    pairs.map((p) => p.referralId),
    pairs.map((p) => p.contactId),
    pairs.map((p) => p.botId),
    pairs.map((p) => p.firstEnteredAt),
    pairs.map((p) => p.lastEnteredAt),
    pairs.map((p) => p.source),
    pairs.map((p) => p.channel),
    pairs.map((p) => p.adId),
  ];
}

const watermarkValues = (marks: Watermark[]): unknown[] => [
  marks.map((m) => m.botId),
  marks.map((m) => m.contactId),
  marks.map((m) => m.at),
];

/** Marks the contacts' answers a delivery receipt covers delivered (neither delivered nor read yet). */
export function markAnswersDelivered(
  tx: EntityManager,
  marks: Watermark[],
): Promise<(FunnelDimensions & { entered_at: Date; undelivered: boolean })[]> {
  return updated(
    tx,
    'referral_answers_delivered',
    `UPDATE referral_answers a SET delivered_at = w.at
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)
      WHERE a.contact_id = w.contact_id AND a.bot_id = w.bot_id AND a.read_at IS NULL
        AND a.delivered_at IS NULL AND ${R.receiptCoversAnswer('a.sent_at', 'w.at')}
      RETURNING a.referral_id, a.bot_id, a.source, a.channel, a.ad_id, a.entered_at, true AS undelivered`,
    watermarkValues(marks),
  );
}

/**
 * Marks the contacts' answers a read receipt covers read (and delivered, if no delivery receipt
 * came first); `undelivered` tells those delivered by this read.
 */
export function markAnswersRead(
  tx: EntityManager,
  marks: Watermark[],
): Promise<(FunnelDimensions & { entered_at: Date; undelivered: boolean })[]> {
  return updated(
    tx,
    'referral_answers_read',
    `WITH w AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)),
          target AS (
            SELECT a.reply_id, w.at, a.delivered_at IS NULL AS undelivered
              FROM referral_answers a JOIN w ON a.contact_id = w.contact_id AND a.bot_id = w.bot_id
             WHERE a.read_at IS NULL AND ${R.receiptCoversAnswer('a.sent_at', 'w.at')}
             FOR UPDATE OF a)
     UPDATE referral_answers a SET read_at = t.at, delivered_at = ${R.readImpliesDelivered('a.delivered_at', 't.at')}
       FROM target t WHERE a.reply_id = t.reply_id
      RETURNING a.referral_id, a.bot_id, a.source, a.channel, a.ad_id, a.entered_at, t.undelivered`,
    watermarkValues(marks),
  );
}

/**
 * Marks the contacts engaged with the referrals they entered within `windowMs` before `at`
 * (once per referral and contact).
 */
export function markContactsEngaged(
  tx: EntityManager,
  marks: Watermark[],
  windowMs: number,
): Promise<(FunnelDimensions & { first_entered_at: Date })[]> {
  return updated(
    tx,
    'referral_contacts_engaged',
    `UPDATE referral_contacts c SET engaged_at = w.at
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS w(bot_id, contact_id, at)
      WHERE c.contact_id = w.contact_id AND c.bot_id = w.bot_id AND c.engaged_at IS NULL
        AND ${R.engagesWithinWindow('c.last_entered_at', 'w.at', '$4::interval')}
      RETURNING c.referral_id, c.bot_id, c.source, c.channel, c.ad_id, c.first_entered_at`,
    [...watermarkValues(marks), `${windowMs} milliseconds`],
  );
}

/** The contact's first-touch and last-touch rows (none when it never entered a known referral). */
export function contactTouches(
  manager: EntityManager,
  botId: string,
  contactId: string,
): Promise<TouchRow[]> {
  return manager.query(
    `(SELECT 'first' AS kind, c.referral_id AS "referralId", r.tracking_param AS "trackingParam",
             c.first_entered_at AS at
        FROM referral_contacts c JOIN referrals r ON r.id = c.referral_id
       WHERE c.bot_id = $1 AND c.contact_id = $2 ORDER BY c.first_entered_at LIMIT 1)
     UNION ALL
     (SELECT 'last', c.referral_id, r.tracking_param, c.last_entered_at
        FROM referral_contacts c JOIN referrals r ON r.id = c.referral_id
       WHERE c.bot_id = $1 AND c.contact_id = $2 ORDER BY c.last_entered_at DESC LIMIT 1)`,
    [botId, contactId],
  );
}

/** An ad's title as an entry through it carried it (null when Meta sent none). */
export interface AdTitle {
  botId: string;
  adId: string;
  title: string | null;
}

/**
 * The statement storing ads' titles (rows in key order; a title Meta did not send keeps the one
 * known), its three arrays numbered from `$first`, to run as a CTE of the entries' insert.
 */
export function upsertAdTitles(first: number): string {
  return `INSERT INTO referral_ads (bot_id, ad_id, title)
     SELECT * FROM unnest($${first}::uuid[], $${first + 1}::varchar[], $${first + 2}::text[])
     ON CONFLICT (bot_id, ad_id) DO UPDATE SET title = coalesce(EXCLUDED.title, referral_ads.title),
                                               updated_at = now()`;
}

/** The values of `upsertAdTitles`, in its parameters' order. */
export function upsertAdTitlesValues(ads: AdTitle[]): unknown[] {
  return [ads.map((a) => a.botId), ads.map((a) => a.adId), ads.map((a) => a.title)];
}

/** One contact's funnel row for a referral, as a merge finds it, with its first entry's status. */
export interface FunnelRowOfMerge extends FunnelDimensions {
  first_entered_at: Date;
  engaged_at: Date | null;
  /** Whether the entry that made this row counted as a new contact (`is_new_contact`). */
  is_new: boolean;
}

/**
 * The referrals both contacts of a merge entered: each was counted in `uniqueContacts` (and in
 * `newContacts` or `returningContacts`, and maybe `engagedContacts`) once per contact. Read before
 * the merge moves the rows and rewrites the entries' `is_new_contact`.
 */
export async function funnelRowsOfMerge(
  tx: EntityManager,
  botId: string,
  fromContactId: string,
  toContactId: string,
): Promise<{ from: FunnelRowOfMerge; to: FunnelRowOfMerge }[]> {
  const row = (alias: string): string =>
    `json_build_object('referral_id', ${alias}.referral_id, 'bot_id', ${alias}.bot_id,
       'source', ${alias}.source, 'channel', ${alias}.channel, 'ad_id', ${alias}.ad_id,
       'first_entered_at', ${alias}.first_entered_at, 'engaged_at', ${alias}.engaged_at,
       'is_new', coalesce((SELECT e.is_new_contact FROM referral_entries e
                            WHERE e.bot_id = ${alias}.bot_id AND e.contact_id = ${alias}.contact_id
                              AND e.referral_id = ${alias}.referral_id
                              AND e.occurred_at = ${alias}.first_entered_at
                            ORDER BY e.id LIMIT 1), false))`;
  const rows = await tx.query<{ from: FunnelRowOfMerge; to: FunnelRowOfMerge }[]>(
    `SELECT ${row('f')} AS "from", ${row('t')} AS "to"
       FROM referral_contacts f
       JOIN referral_contacts t ON t.referral_id = f.referral_id AND t.contact_id = $3
      WHERE f.bot_id = $1 AND f.contact_id = $2`,
    [botId, fromContactId, toContactId],
  );
  const revive = (r: FunnelRowOfMerge): FunnelRowOfMerge => ({
    ...r,
    first_entered_at: new Date(r.first_entered_at),
    engaged_at: r.engaged_at === null ? null : new Date(r.engaged_at),
  });
  return rows.map(({ from, to }) => ({ from: revive(from), to: revive(to) }));
}
