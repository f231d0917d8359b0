import { type EntityManager } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { prepared } from '../database';
import { type SegmentDto } from './dto/segment.dto';
import { SegmentMember } from './entities/segment-member.entity';

/** A segment's id and name. */
export interface SegmentRef {
  id: string;
  name: string;
}

/** A contact joining a segment (one row of `segment_members`). */
export interface NewMember {
  botId: string;
  segmentId: string;
  contactId: string;
  joinedAt: Date;
  referralId?: string | null;
  trackingParam?: string | null;
}

/**
 * Who a Broadcast reaches: members of any `include` segment, who are also in every `intersect`
 * segment and in no `exclude` segment. With no `include`, the first `intersect` segment is the base.
 */
export interface AudienceQuery {
  include?: string[];
  intersect?: string[];
  exclude?: string[];
}

export interface AudiencePage {
  contactIds: string[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

/** Sorted, deduplicated segment ids of each part, with the base set resolved. */
export function normaliseAudience(query: AudienceQuery): Required<AudienceQuery> | null {
  const unique = (ids: string[] | undefined): string[] => [...new Set(ids ?? [])].sort();
  const include = unique(query.include);
  const intersect = unique(query.intersect);
  const exclude = unique(query.exclude);
  if (include.length === 0 && intersect.length === 0) return null;
  return { include: include.length > 0 ? include : [intersect[0]], intersect, exclude };
}

/**
 * One page of the audience in contact-id order (keyset): each page costs the same however deep it
 * is, so a million members stream in constant memory.
 */
export async function audiencePage(
  manager: EntityManager,
  botId: string,
  query: Required<AudienceQuery>,
  after: string | null,
  limit: number,
): Promise<AudiencePage> {
  const rows = await manager.query<{ id: string }[]>(
    `SELECT DISTINCT m.contact_id AS id
       FROM segment_members m
      WHERE m.bot_id = $1
        AND m.segment_id = ANY($2::uuid[])
        AND ($3::uuid IS NULL OR m.contact_id > $3::uuid)
        AND (cardinality($4::uuid[]) = 0 OR (
              SELECT count(*) FROM segment_members i
               WHERE i.contact_id = m.contact_id AND i.segment_id = ANY($4::uuid[])
            ) = cardinality($4::uuid[]))
        AND NOT EXISTS (
              SELECT 1 FROM segment_members e
               WHERE e.contact_id = m.contact_id AND e.segment_id = ANY($5::uuid[]))
      ORDER BY m.contact_id
      LIMIT $6`,
    [botId, query.include, after, query.intersect, query.exclude, limit + 1],
  );
  const ids = rows.slice(0, limit).map((row) => row.id);
  return { contactIds: ids, next: rows.length > limit ? (ids[ids.length - 1] ?? null) : null };
}

/**
 * The membership rules that live in SQL (a merge runs while entries may still add members), each
 * a named SQL expression used below and tested on the real database
 * (test/integration/segments-modules.integration-spec.ts).
 */
export const SegmentRules = {
  /** When two contacts of one person were both members, the earlier join is kept, with its referral. */
  earlierJoinKept: (current: string, incoming: string): string => `${incoming} < ${current}`,
} as const;

/** The bot's segment named `name` (case-insensitive), created when it has none. Safe under races. */
export async function findOrCreateSegment(
  manager: EntityManager,
  botId: string,
  name: string,
): Promise<SegmentRef> {
  await manager.query(
    `INSERT INTO segments (bot_id, name) VALUES ($1, $2)
     ON CONFLICT (bot_id, lower(name)) DO NOTHING`,
    [botId, name],
  );
  const rows = await manager.query<SegmentRef[]>(
    'SELECT id, name FROM segments WHERE bot_id = $1 AND lower(name) = lower($2)',
    [botId, name],
  );
  if (!rows[0]) throw new Error('segment upsert returned no row');
  return rows[0];
}

const SEGMENT_COLUMNS = `s.id, s.name, s.created_at AS "createdAt",
  (SELECT count(*) FROM segment_members m WHERE m.segment_id = s.id)::int AS "memberCount"`;

/** Up to `take` of the bot's segments after `cursor`, newest first, with their member counts. */
export function pageOfSegments(
  manager: EntityManager,
  botId: string,
  cursor: CreatedCursor | undefined,
  take: number,
): Promise<SegmentDto[]> {
  return manager.query(
    `SELECT ${SEGMENT_COLUMNS}
       FROM segments s
      WHERE s.bot_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3::uuid))
      ORDER BY s.created_at DESC, s.id DESC
      LIMIT $4`,
    [botId, cursor?.createdAt ?? null, cursor?.id ?? null, take],
  );
}

/** The bot's segment with its member count, or null. */
export async function segmentOf(
  manager: EntityManager,
  botId: string,
  segmentId: string,
): Promise<SegmentDto | null> {
  const rows = await manager.query<SegmentDto[]>(
    `SELECT ${SEGMENT_COLUMNS} FROM segments s WHERE s.bot_id = $1 AND s.id = $2`,
    [botId, segmentId],
  );
  return rows[0] ?? null;
}

/** The bot's segments among `segmentIds` (distinct). */
export function segmentRefs(
  manager: EntityManager,
  botId: string,
  segmentIds: string[],
): Promise<SegmentRef[]> {
  return manager.query('SELECT id, name FROM segments WHERE bot_id = $1 AND id = ANY($2::uuid[])', [
    botId,
    segmentIds,
  ]);
}

/** Ids of the bot's segments whose name contains `text` (case-insensitive, LIKE wildcards escaped). */
export async function segmentIdsNamed(
  manager: EntityManager,
  botId: string,
  text: string,
): Promise<string[]> {
  const rows = await manager.query<{ id: string }[]>(
    `SELECT id FROM segments WHERE bot_id = $1 AND name ILIKE '%' || $2 || '%' ESCAPE '\\'`,
    [botId, text.replace(/[\\%_]/g, (c) => `\\${c}`)],
  );
  return rows.map((row) => row.id);
}

/** `fromContactId`'s memberships become `toContactId`'s, following `SegmentRules`. */
export async function moveMembers(
  tx: EntityManager,
  botId: string,
  fromContactId: string,
  toContactId: string,
): Promise<void> {
  await tx.query(
    `WITH moved AS (
       DELETE FROM segment_members WHERE bot_id = $1 AND contact_id = $2
       RETURNING segment_id, bot_id, joined_at, referral_id, tracking_param
     )
     INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at, referral_id, tracking_param)
     SELECT segment_id, $3, bot_id, joined_at, referral_id, tracking_param FROM moved
     ON CONFLICT (segment_id, contact_id) DO UPDATE
       SET joined_at = EXCLUDED.joined_at, referral_id = EXCLUDED.referral_id,
           tracking_param = EXCLUDED.tracking_param
       WHERE ${SegmentRules.earlierJoinKept('segment_members.joined_at', 'EXCLUDED.joined_at')}`,
    [botId, fromContactId, toContactId],
  );
}

/**
 * The INSERT of memberships from six arrays numbered from `$first` (`insertMembersValues`), in the
 * order given, each joining only if new. A member counts only when both the segment and the
 * contact belong to its bot, so no caller can mix tenants: the join on `contacts` reads the
 * contacts module's table for that check alone, in the same statement as the insert.
 */
function membersInsert(first: number): string {
  const $ = (k: number) => `$${first + k}`;
  return `INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at, referral_id, tracking_param)
     SELECT m.segment_id, m.contact_id, m.bot_id, m.joined_at, m.referral_id, m.tracking_param
       FROM unnest(${$(0)}::uuid[], ${$(1)}::uuid[], ${$(2)}::uuid[], ${$(3)}::timestamptz[],
                   ${$(4)}::uuid[], ${$(5)}::varchar[])
            WITH ORDINALITY AS m(segment_id, contact_id, bot_id, joined_at, referral_id, tracking_param, position)
       -- Each found by its primary key, then checked to be the bot's (OFFSET 0: Postgres keeps the
       -- subquery as written): a plan that matched on the bot instead, as one made while the table
       -- was young may, would go through all of the bot's contacts for every membership.
       CROSS JOIN LATERAL (SELECT bot_id FROM segments WHERE id = m.segment_id OFFSET 0) s
       CROSS JOIN LATERAL (SELECT bot_id FROM contacts WHERE id = m.contact_id OFFSET 0) c
      WHERE s.bot_id = m.bot_id AND c.bot_id = m.bot_id
      ORDER BY m.position
     ON CONFLICT (segment_id, contact_id) DO NOTHING`;
}

/** The values of `insertMembersCte` (and `insertMembers`), in their parameters' order. */
export function insertMembersValues(members: NewMember[]): unknown[] {
  return [
    members.map((m) => m.segmentId),
    members.map((m) => m.contactId),
    members.map((m) => m.botId),
    members.map((m) => m.joinedAt),
    members.map((m) => m.referralId ?? null),
    members.map((m) => m.trackingParam ?? null),
  ];
}

/**
 * The CTE (`members_added`) adding contacts to segments as `insertMembers` does, its six arrays
 * numbered from `$first`: the statement part the segments module lends the statement recording
 * referral entries (referrals' `referral_entries_record`), so an entry and the membership it
 * brings are one round trip. Values: `insertMembersValues`.
 */
export function insertMembersCte(first: number): string {
  return `members_added AS (
       ${membersInsert(first)}
     )`;
}

/**
 * Inserts the memberships in one statement (named and prepared); the keys (`contactId|segmentId`)
 * of those that joined now.
 */
export async function insertMembers(
  manager: EntityManager,
  members: NewMember[],
): Promise<Set<string>> {
  const rows = await prepared<{ key: string }[]>(
    manager,
    'segment_members_add',
    `${membersInsert(1)}
     RETURNING contact_id || '|' || segment_id AS key`,
    insertMembersValues(members),
  );
  return new Set(rows.map((row) => row.key));
}

/** Up to `take` of a segment's memberships after `cursor` (join time, contact id), newest first. */
export function pageOfMembers(
  manager: EntityManager,
  botId: string,
  segmentId: string,
  cursor: CreatedCursor | undefined,
  take: number,
): Promise<SegmentMember[]> {
  return manager
    .createQueryBuilder(SegmentMember, 'm')
    .where('m.segmentId = :segmentId AND m.botId = :botId', { segmentId, botId })
    .andWhere(cursor ? '(m.joinedAt, m.contactId) < (:createdAt, :id)' : 'TRUE', cursor ?? {})
    .orderBy('m.joinedAt', 'DESC')
    .addOrderBy('m.contactId', 'DESC')
    .take(take)
    .getMany();
}
