import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { isUniqueViolation } from '../common/errors';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { ContactsService } from '../contacts';
import { type SegmentDto, type SegmentMemberDto } from './dto/segment.dto';
import {
  type AudiencePage,
  audiencePage,
  type AudienceQuery,
  findOrCreateSegment,
  insertMembers,
  moveMembers,
  type NewMember,
  normaliseAudience,
  pageOfMembers,
  pageOfSegments,
  type SegmentRef,
  segmentIdsNamed,
  segmentOf,
  segmentRefs,
} from './segments.repository';
import { Segment } from './entities/segment.entity';
import { SegmentErrors } from './segments.errors';

export { type NewMember, type SegmentRef };

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
    return findOrCreateSegment(tx ?? this.dataSource.manager, botId, name);
  }

  async list(botId: string, query: PageQueryDto): Promise<Page<SegmentDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await pageOfSegments(this.dataSource.manager, botId, cursor, query.limit + 1);
    return toPage(rows, query.limit, (row) => row);
  }

  async get(botId: string, segmentId: string): Promise<SegmentDto> {
    const segment = await segmentOf(this.dataSource.manager, botId, segmentId);
    if (!segment) throw SegmentErrors.notFound();
    return segment;
  }

  /** Names of the bot's segments with these ids. */
  async getRefs(botId: string, segmentIds: string[]): Promise<Map<string, SegmentRef>> {
    if (segmentIds.length === 0) return new Map();
    const rows = await segmentRefs(this.dataSource.manager, botId, [...new Set(segmentIds)]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Ids of the bot's segments whose name contains `text` (case-insensitive). */
  async findIdsByNameContaining(botId: string, text: string): Promise<string[]> {
    return segmentIdsNamed(this.dataSource.manager, botId, text);
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
    await moveMembers(tx, botId, fromContactId, toContactId);
  }

  /**
   * `addMember` for many in one statement (results in the order given). A member counts only when
   * both the segment and the contact belong to its bot, so no caller can mix tenants.
   */
  async addMembers(members: NewMember[], tx?: EntityManager): Promise<boolean[]> {
    if (members.length === 0) return [];
    const joined = await insertMembers(tx ?? this.dataSource.manager, members);
    return members.map((m) => joined.delete(`${m.contactId}|${m.segmentId}`));
  }

  async members(
    botId: string,
    segmentId: string,
    query: PageQueryDto,
  ): Promise<Page<SegmentMemberDto>> {
    await this.get(botId, segmentId);
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await pageOfMembers(
      this.dataSource.manager,
      botId,
      segmentId,
      cursor,
      query.limit + 1,
    );
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
