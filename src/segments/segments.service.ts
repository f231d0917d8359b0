import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../common/errors';
import { prepared } from '../database';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { ContactsService } from '../contacts';
import { type SegmentDto, type SegmentMemberDto } from './dto/segment.dto';
import { SegmentMember } from './entities/segment-member.entity';
import {
  type AudiencePage,
  audiencePage,
  type AudienceQuery,
  normaliseAudience,
} from './segment-audience';
import { Segment } from './entities/segment.entity';
import { SegmentErrors } from './segments.errors';

export interface NewMember {
  botId: string;
  segmentId: string;
  contactId: string;
  joinedAt: Date;
  referralId?: string | null;
  trackingParam?: string | null;
}

export interface SegmentRef {
  id: string;
  name: string;
}

@Injectable()
export class SegmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
  ) {}

  async create(botId: string, name: string): Promise<SegmentDto> {
    try {
      const segment = await this.dataSource.manager.save(Segment, { botId, name });
      return { id: segment.id, name: segment.name, memberCount: 0, createdAt: segment.createdAt };
    } catch (error) {
      if (isUniqueViolation(error, 'uq_segments_bot_name')) throw SegmentErrors.nameTaken(name);
      throw error;
    }
  }

  /** The bot's segment of that name (case-insensitive), created when it has none. Safe under races. */
  async findOrCreateByName(botId: string, name: string, tx?: EntityManager): Promise<SegmentRef> {
    const manager = tx ?? this.dataSource.manager;
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

  async list(botId: string, query: PageQueryDto): Promise<Page<SegmentDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await this.dataSource.manager.query<SegmentDto[]>(
      `SELECT s.id, s.name, s.created_at AS "createdAt",
              (SELECT count(*) FROM segment_members m WHERE m.segment_id = s.id)::int AS "memberCount"
         FROM segments s
        WHERE s.bot_id = $1 AND ($2::timestamptz IS NULL OR (s.created_at, s.id) < ($2, $3::uuid))
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT $4`,
      [botId, cursor?.createdAt ?? null, cursor?.id ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, (row) => row);
  }

  async get(botId: string, segmentId: string): Promise<SegmentDto> {
    const rows = await this.dataSource.manager.query<SegmentDto[]>(
      `SELECT s.id, s.name, s.created_at AS "createdAt",
              (SELECT count(*) FROM segment_members m WHERE m.segment_id = s.id)::int AS "memberCount"
         FROM segments s WHERE s.bot_id = $1 AND s.id = $2`,
      [botId, segmentId],
    );
    if (!rows[0]) throw SegmentErrors.notFound();
    return rows[0];
  }

  /** Names of the bot's segments with these ids. */
  async getRefs(botId: string, segmentIds: string[]): Promise<Map<string, SegmentRef>> {
    if (segmentIds.length === 0) return new Map();
    const rows = await this.dataSource.manager.query<SegmentRef[]>(
      'SELECT id, name FROM segments WHERE bot_id = $1 AND id = ANY($2::uuid[])',
      [botId, [...new Set(segmentIds)]],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Ids of the bot's segments whose name contains `text` (case-insensitive). */
  async findIdsByNameContaining(botId: string, text: string): Promise<string[]> {
    const rows = await this.dataSource.manager.query<{ id: string }[]>(
      `SELECT id FROM segments WHERE bot_id = $1 AND name ILIKE '%' || $2 || '%' ESCAPE '\\'`,
      [botId, escapeLike(text)],
    );
    return rows.map((row) => row.id);
  }

  /** Adds a contact to a segment; adding it again changes nothing. Returns true if it joined now. */
  async addMember(member: NewMember, tx?: EntityManager): Promise<boolean> {
    const [joined] = await this.addMembers([member], tx);
    return joined;
  }

  /**
   * Two contacts turned out to be one person (see ContactsService.linkIdentity): `fromContactId`'s
   * memberships become `toContactId`'s, the earlier join kept where both were members.
   */
  async moveMembers(
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
         WHERE EXCLUDED.joined_at < segment_members.joined_at`,
      [botId, fromContactId, toContactId],
    );
  }

  /**
   * `addMember` for many in one statement (results in the order given). A member counts only when
   * both the segment and the contact belong to its bot, so no caller can mix tenants.
   */
  async addMembers(members: NewMember[], tx?: EntityManager): Promise<boolean[]> {
    if (members.length === 0) return [];
    const rows = await prepared<{ key: string }[]>(
      tx ?? this.dataSource.manager,
      'segment_members_add',
      `INSERT INTO segment_members (segment_id, contact_id, bot_id, joined_at, referral_id, tracking_param)
       SELECT m.segment_id, m.contact_id, m.bot_id, m.joined_at, m.referral_id, m.tracking_param
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::uuid[], $6::varchar[])
              WITH ORDINALITY AS m(segment_id, contact_id, bot_id, joined_at, referral_id, tracking_param, position)
         JOIN segments s ON s.id = m.segment_id AND s.bot_id = m.bot_id
         JOIN contacts c ON c.id = m.contact_id AND c.bot_id = m.bot_id
        ORDER BY m.position
       ON CONFLICT (segment_id, contact_id) DO NOTHING
       RETURNING contact_id || '|' || segment_id AS key`,
      [
        members.map((m) => m.segmentId),
        members.map((m) => m.contactId),
        members.map((m) => m.botId),
        members.map((m) => m.joinedAt),
        members.map((m) => m.referralId ?? null),
        members.map((m) => m.trackingParam ?? null),
      ],
    );
    const joined = new Set(rows.map((row) => row.key));
    return members.map((m) => joined.delete(`${m.contactId}|${m.segmentId}`));
  }

  async members(
    botId: string,
    segmentId: string,
    query: PageQueryDto,
  ): Promise<Page<SegmentMemberDto>> {
    await this.get(botId, segmentId);
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await this.dataSource.manager
      .createQueryBuilder(SegmentMember, 'm')
      .where('m.segmentId = :segmentId AND m.botId = :botId', { segmentId, botId })
      .andWhere(cursor ? '(m.joinedAt, m.contactId) < (:createdAt, :id)' : 'TRUE', cursor ?? {})
      .orderBy('m.joinedAt', 'DESC')
      .addOrderBy('m.contactId', 'DESC')
      .take(query.limit + 1)
      .getMany();
    const contacts = await this.contacts.getMany(
      botId,
      rows.map((row) => row.contactId),
    );
    const positioned = rows.map((row) => ({ ...row, createdAt: row.joinedAt, id: row.contactId }));
    return toPage(positioned, query.limit, (row) => {
      const contact = contacts.get(row.contactId);
      return {
        contactId: row.contactId,
        channel: contact?.channel ?? 'messenger',
        firstName: contact?.firstName ?? null,
        lastName: contact?.lastName ?? null,
        joinedAt: row.joinedAt,
        referral: row.referralId ? { id: row.referralId, trackingParam: row.trackingParam } : null,
      };
    });
  }

  /** One page of contact ids of an audience; `after` is the previous page's `next`. */
  async audience(
    botId: string,
    query: AudienceQuery,
    after: string | null = null,
    limit = 1000,
  ): Promise<AudiencePage> {
    const normalised = await this.checkAudience(botId, query);
    return audiencePage(this.dataSource.manager, botId, normalised, after, limit);
  }

  /** The whole audience in batches of contact ids, never holding more than one batch. */
  async *streamAudience(
    botId: string,
    query: AudienceQuery,
    batchSize = 1000,
  ): AsyncGenerator<string[]> {
    const normalised = await this.checkAudience(botId, query);
    let after: string | null = null;
    do {
      const page = await audiencePage(this.dataSource.manager, botId, normalised, after, batchSize);
      if (page.contactIds.length > 0) yield page.contactIds;
      after = page.next;
    } while (after);
  }

  private async checkAudience(
    botId: string,
    query: AudienceQuery,
  ): Promise<Required<AudienceQuery>> {
    const normalised = normaliseAudience(query);
    if (!normalised) throw SegmentErrors.emptyAudience();
    await this.assertOwned(botId, [
      ...normalised.include,
      ...normalised.intersect,
      ...normalised.exclude,
    ]);
    return normalised;
  }

  /** Throws SEGMENT_NOT_FOUND unless every id is a segment of the bot. */
  async assertOwned(botId: string, segmentIds: string[]): Promise<void> {
    const found = await this.getRefs(botId, segmentIds);
    if (segmentIds.some((id) => !found.has(id))) throw SegmentErrors.notFound();
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
