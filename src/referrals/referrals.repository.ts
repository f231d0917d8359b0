import { type EntityManager } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { type Channel } from '../contacts';
import { type Content } from '../creator';
import { memoManyInTransaction, prepared, preparedCarried } from '../database';
import { insertMembersCte, insertMembersValues, type NewMember } from '../segments';
import { type AnswerType, Referral } from './entities/referral.entity';
import {
  type AdTitle,
  type ContactEntryPair,
  countEntries,
  enterReferralContacts,
  enterReferralContactsIsNew,
  enterReferralContactsValues,
  upsertAdTitles,
  upsertAdTitlesValues,
} from './stats/funnel.repository';

/**
 * The referral rules that live in SQL: a merge of two contacts runs while entries of either may
 * still arrive, so Postgres applies them to the rows it has. Each is a named function of SQL
 * expressions, used below and tested on the real database
 * (test/integration/referral-resolution.integration-spec.ts).
 */
export const ReferralRules = {
  /**
   * When two contacts turn out to be one person, only an entry at or before the surviving
   * person's first sighting still counts as a new contact's, so the person counts as new once.
   */
  newContactOnlyAtFirstSighting: (isNew: string, occurredAt: string, firstSeenAt: string): string =>
    `${isNew} AND ${occurredAt} <= ${firstSeenAt}`,
  /** A contact's first entry into a referral only moves back (a merge, a late delivery). */
  firstEntryOnlyMovesBack: (current: string, incoming: string): string =>
    `least(${current}, ${incoming})`,
  /** A contact's last entry into a referral only moves forward. */
  lastEntryOnlyMovesForward: (current: string, incoming: string): string =>
    `greatest(${current}, ${incoming})`,
  /** A contact's first engagement after an entry keeps the earliest time. */
  firstEngagementKept: (current: string, incoming: string): string =>
    `least(${current}, ${incoming})`,
} as const;
const R = ReferralRules;

export interface ActiveReferral {
  id: string;
  botId: string;
  trackingParam: string;
  answerType: AnswerType;
  content: Content | null;
  moduleId: string | null;
  segmentId: string;
}

/** A lookup of a referral: the bot and the tracking param as a ref carried it (any case). */
export interface ReferralLookup {
  botId: string;
  trackingParam: string;
}

/**
 * The memo key of a lookup: the param as the ref carried it. Which spellings name one referral is
 * for Postgres's lower() to say (the match): JavaScript's toLowerCase() folds some letters
 * differently ('İSTANBUL' and 'i̇stanbul' alike, though only the first matches 'istanbul').
 */
const lookupKey = (lookup: ReferralLookup): string =>
  `referral:${lookup.botId}:${lookup.trackingParam}`;

/**
 * Each lookup's live, active referral of its bot, compared case-insensitively, or null (unknown,
 * inactive, deleted); results in the order of `lookups`. On every referral entry, so all the
 * lookups of a batch are one statement (`referrals_find_active`, served by the unique index on
 * (bot_id, lower(tracking_param)) of live referrals, which also makes the match at most one row),
 * and within a transaction each lookup is read once (`memoManyInTransaction`): the conversation
 * opening and the resolution of one batch share one read, and a read that rode another statement
 * (`activeReferralsExpr`, `primeActiveReferrals`) serves both.
 */
export function findActiveReferrals(
  manager: EntityManager,
  lookups: ReferralLookup[],
): Promise<(ActiveReferral | null)[]> {
  return memoManyInTransaction(manager, lookups.map(lookupKey), async (missing) => {
    const wanted = distinctLookups(lookups, missing);
    const [row] = await prepared<{ found: FoundReferrals }[]>(
      manager,
      'referral_find_active_many',
      `SELECT ${activeReferralsExpr(1)} AS found`,
      activeReferralsValues(wanted),
    );
    return byPosition(row.found, wanted.length);
  });
}

/**
 * A SQL expression (a jsonb array) of the active referrals of `lookups`, its two arrays (bot ids,
 * tracking params) numbered from `$first`: the statement part the referrals module lends the
 * Messenger inbound batch's first statement, so that a batch of referral entries reads its
 * referrals in the round trip that locks its contacts. Its values: `activeReferralsValues`; what
 * it read, handed to `primeActiveReferrals`, serves the transaction's `findActiveReferrals`.
 * Without lookups it calls nothing.
 */
export function activeReferralsExpr(first: number): string {
  const [botIds, params] = [`$${first}::uuid[]`, `$${first + 1}::text[]`];
  return `(CASE WHEN cardinality(${botIds}) = 0 THEN '[]'::jsonb ELSE referrals_find_active(${botIds}, ${params}) END)`;
}

/** The values of `activeReferralsExpr`, in its parameters' order: each lookup's key once. */
export function activeReferralsValues(lookups: ReferralLookup[]): unknown[] {
  const wanted = distinctLookups(lookups);
  return [wanted.map((lookup) => lookup.botId), wanted.map((lookup) => lookup.trackingParam)];
}

/**
 * Records in `manager`'s transaction what `activeReferralsExpr` read for `lookups` (`found`: the
 * expression's value), so that the transaction's `findActiveReferrals` of those lookups reads
 * nothing. A lookup the transaction read already keeps what it read.
 */
export async function primeActiveReferrals(
  manager: EntityManager,
  lookups: ReferralLookup[],
  found: unknown,
): Promise<void> {
  const wanted = distinctLookups(lookups);
  const read = byPosition(found as FoundReferrals, wanted.length);
  const byKey = new Map(wanted.map((lookup, index) => [lookupKey(lookup), read[index]]));
  await memoManyInTransaction(manager, [...byKey.keys()], (missing) =>
    Promise.resolve(missing.map((key) => byKey.get(key)!)),
  );
}

/** What `referrals_find_active` gives: the lookups' referrals found, by position (from 1). */
type FoundReferrals = (ActiveReferral & { position: number })[];

function byPosition(found: FoundReferrals, count: number): (ActiveReferral | null)[] {
  const result = new Array<ActiveReferral | null>(count).fill(null);
  for (const { position, ...referral } of found) result[position - 1] = referral;
  return result;
}

/**
 * The first lookup of each key (of `keys`, in their order; by default every key of `lookups`):
 * the one read, as when each lookup was read on its own.
 */
function distinctLookups(
  lookups: ReferralLookup[],
  keys: string[] = [...new Set(lookups.map(lookupKey))],
): ReferralLookup[] {
  const byKey = new Map<string, ReferralLookup>();
  for (const lookup of lookups)
    if (!byKey.has(lookupKey(lookup))) byKey.set(lookupKey(lookup), lookup);
  return keys.map((key) => byKey.get(key)!);
}

/** `findActiveReferrals` of one lookup. */
export async function findActiveReferral(
  manager: EntityManager,
  botId: string,
  trackingParam: string,
): Promise<ActiveReferral | null> {
  const [referral] = await findActiveReferrals(manager, [{ botId, trackingParam }]);
  return referral;
}

/** A referral entry to insert: one contact coming in through a ref (known or not). */
export interface EntryRow {
  /** Its id, taken ahead from the entries' sequence (EntryIds). */
  id: string;
  botId: string;
  /** The active referral the ref matched; null for an unknown, inactive or missing ref. */
  referralId: string | null;
  /** The raw ref (kept even when unknown), at most 2,100 characters; null when none came. */
  rawRef: string | null;
  source: string | null;
  channel: Channel;
  contactId: string;
  conversationId: string | null;
  isNewContact: boolean;
  adId: string | null;
  adsContext: Record<string, unknown> | null;
  refererUri: string | null;
  occurredAt: Date;
}

/** What the entries of a batch add to their referrals' funnel, written with them. */
export interface EntriesFunnel {
  /** Their (referral, contact) pairs, in key order: `enterReferralContacts`. */
  pairs: ContactEntryPair[];
  /** The titles of the ads they came through, in key order: `upsertAdTitles`. */
  ads: AdTitle[];
}

/**
 * Inserts the entries (with their ids given), records their (referral, contact) pairs in
 * `referral_contacts`, stores their ads' titles and counts them in the referrals' rollups
 * (`countEntries`: the pairs a contact entered for the first time from what `referral_contacts`
 * answered) and adds the contacts `joining` their referrals' segments (`insertMembersCte`, lent by
 * segments), in one statement (named and prepared: on every referral entry). Nothing in the
 * transaction needs its answer, so it is issued carried (preparedCarried): in a pipelined
 * transaction it travels with the next statement. Resolves once issued; a failure fails the
 * transaction.
 */
export async function insertEntries(
  tx: EntityManager,
  entries: EntryRow[],
  funnel: EntriesFunnel,
  joining: NewMember[],
): Promise<void> {
  await preparedCarried(
    tx,
    'referral_entries_record',
    `WITH entry AS (
       INSERT INTO referral_entries (id, bot_id, referral_id, raw_ref, source, channel, contact_id, conversation_id,
                                     is_new_contact, ad_id, ads_context, referer_uri, occurred_at)
       SELECT id, bot_id, referral_id, raw_ref, source, channel, contact_id, conversation_id, is_new_contact,
              ad_id, ads_context, referer_uri, occurred_at
         FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::uuid[],
                     $7::uuid[], $8::boolean[], $9::varchar[], $10::jsonb[], $11::text[], $12::timestamptz[],
                     $31::bigint[])
              AS e(bot_id, referral_id, raw_ref, source, channel, contact_id, conversation_id,
                   is_new_contact, ad_id, ads_context, referer_uri, occurred_at, id)
       RETURNING id
     ), entered AS (
       ${enterReferralContacts(13)}
     ), ads AS (
       ${upsertAdTitles(21)}
     ), ${countEntries({ botId: 1, referralId: 2, source: 4, channel: 5, adId: 9, occurredAt: 12, pairs: 13, pairIsNew: 24 })},
     ${insertMembersCte(25)}
     SELECT count(*)::int AS entries FROM entry`,
    [
      entries.map((e) => e.botId),
      entries.map((e) => e.referralId),
      entries.map((e) => e.rawRef),
      entries.map((e) => e.source),
      entries.map((e) => e.channel),
      entries.map((e) => e.contactId),
      entries.map((e) => e.conversationId),
      entries.map((e) => e.isNewContact),
      entries.map((e) => e.adId),
      entries.map((e) => (e.adsContext ? JSON.stringify(e.adsContext) : null)),
      entries.map((e) => e.refererUri),
      entries.map((e) => e.occurredAt),
      ...enterReferralContactsValues(funnel.pairs),
      ...upsertAdTitlesValues(funnel.ads),
      ...enterReferralContactsIsNew(funnel.pairs),
      ...insertMembersValues(joining),
      entries.map((e) => e.id),
    ],
  );
}

/** A contact's entry as its page shows it. */
export interface ContactEntryRow {
  referralId: string | null;
  trackingParam: string | null;
  rawRef: string | null;
  source: string | null;
  occurredAt: Date;
}

/** The contact's first (`ASC`) or last (`DESC`) referral entry, or null when it has none. */
export async function contactEntry(
  manager: EntityManager,
  botId: string,
  contactId: string,
  order: 'ASC' | 'DESC',
): Promise<ContactEntryRow | null> {
  const rows = await manager.query<ContactEntryRow[]>(
    `SELECT e.referral_id AS "referralId", r.tracking_param AS "trackingParam", e.raw_ref AS "rawRef",
            e.source, e.occurred_at AS "occurredAt"
       FROM referral_entries e LEFT JOIN referrals r ON r.id = e.referral_id
      WHERE e.bot_id = $1 AND e.contact_id = $2
      ORDER BY e.occurred_at ${order}, e.id ${order} LIMIT 1`,
    [botId, contactId],
  );
  return rows[0] ?? null;
}

/** Two contacts of one person, as a merge moves the referral rows of the first to the second. */
export interface EntriesMove {
  botId: string;
  fromContactId: string;
  toContactId: string;
  fromConversationId: string | null;
  toConversationId: string | null;
  /** The surviving person's first sighting: see `ReferralRules.newContactOnlyAtFirstSighting`. */
  firstSeenAt: Date;
}

/**
 * Gives `fromContactId`'s entries to `toContactId` (and to `toConversationId` when theirs was
 * merged away), then its funnel rows (`referral_contacts`): one row per referral and person,
 * following `ReferralRules`. In the caller's transaction.
 */
export async function moveEntries(tx: EntityManager, move: EntriesMove): Promise<void> {
  await tx.query(
    `UPDATE referral_entries
        SET contact_id = $3,
            conversation_id = CASE WHEN conversation_id = $4 THEN $5 ELSE conversation_id END,
            is_new_contact = ${R.newContactOnlyAtFirstSighting('is_new_contact', 'occurred_at', '$6')}
      WHERE bot_id = $1 AND contact_id IN ($2, $3)`,
    [
      move.botId,
      move.fromContactId,
      move.toContactId,
      move.fromConversationId,
      move.toConversationId,
      move.firstSeenAt,
    ],
  );
  await tx.query(
    `WITH moved AS (
       DELETE FROM referral_contacts WHERE bot_id = $1 AND contact_id = $2 RETURNING *
     )
     INSERT INTO referral_contacts AS rc (referral_id, contact_id, bot_id, first_entered_at,
                                          last_entered_at, engaged_at, source, channel, ad_id)
     SELECT referral_id, $3, bot_id, first_entered_at, last_entered_at, engaged_at, source,
            channel, ad_id
       FROM moved
     ON CONFLICT (referral_id, contact_id) DO UPDATE
        SET first_entered_at = ${R.firstEntryOnlyMovesBack('rc.first_entered_at', 'excluded.first_entered_at')},
            last_entered_at = ${R.lastEntryOnlyMovesForward('rc.last_entered_at', 'excluded.last_entered_at')},
            engaged_at = ${R.firstEngagementKept('rc.engaged_at', 'excluded.engaged_at')}`,
    [move.botId, move.fromContactId, move.toContactId],
  );
}

/** The bot's live referrals that answer with module `moduleId` or link to it in their content. */
export function referralsUsingModule(
  tx: EntityManager,
  botId: string,
  moduleId: string,
): Promise<{ id: string; name: string }[]> {
  return tx.query(
    `SELECT id, tracking_param AS name FROM referrals
      WHERE bot_id = $1 AND deleted_at IS NULL
        AND (module_id = $2 OR jsonb_path_exists(content, 'strict $.**.moduleId ? (@ == $id)',
                                                 jsonb_build_object('id', $2::text)))`,
    [botId, moduleId],
  );
}

/** The filters of the referral list (all optional). */
export interface ReferralFilter {
  answerType?: AnswerType;
  active?: boolean;
  /** Matches the tracking param or description (as a substring) or one of `segmentIds`. */
  search?: { text: string; segmentIds: string[] };
}

/**
 * One page of the bot's live referrals (the entity's delete date leaves deleted ones out), newest
 * first, after `cursor`: up to `take` rows, and the number of all that match the filter.
 */
export async function pageOfReferrals(
  manager: EntityManager,
  botId: string,
  filter: ReferralFilter,
  cursor: CreatedCursor | undefined,
  take: number,
): Promise<{ rows: Referral[]; total: number }> {
  const builder = manager.createQueryBuilder(Referral, 'r').where('r.botId = :botId', { botId });
  if (filter.answerType)
    builder.andWhere('r.answerType = :answerType', { answerType: filter.answerType });
  if (filter.active !== undefined)
    builder.andWhere('r.active = :active', { active: filter.active });
  if (filter.search) {
    builder.andWhere(
      "(r.trackingParam ILIKE :pattern ESCAPE '\\' OR r.description ILIKE :pattern ESCAPE '\\' OR r.segmentId = ANY(:segmentIds))",
      {
        pattern: `%${filter.search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        segmentIds: filter.search.segmentIds,
      },
    );
  }
  const total = await builder.getCount();
  if (cursor) builder.andWhere('(r.createdAt, r.id) < (:createdAt, :id)', cursor);
  const rows = await builder
    .orderBy('r.createdAt', 'DESC')
    .addOrderBy('r.id', 'DESC')
    .take(take)
    .getMany();
  return { rows, total };
}
