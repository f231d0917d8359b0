import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { BotsService, type BotLinkTargets } from '../bots';
import { AppError, isUniqueViolation } from '../common/errors';
import { decodeCursor, encodeCursor } from '../common/pagination';
import { AppConfig } from '../config';
import { type Content } from '../creator';
import { type ModuleRef, ModulesService, type ModuleUsage, ModuleUsageFinder } from '../modules';
import { type SegmentRef, SegmentsService } from '../segments';
import { answerFieldProblem } from './dto/answer-fields';
import { type CreateReferralDto } from './dto/create-referral.dto';
import { type ListReferralsQueryDto } from './dto/list-referrals-query.dto';
import { type ReferralDto, type ReferralPageDto } from './dto/referral.dto';
import { type UpdateReferralDto } from './dto/update-referral.dto';
import { type AnswerType, Referral } from './entities/referral.entity';
import { type QrQueryDto } from './dto/qr-query.dto';
import { type QrImage, renderQr } from './qr-code';
import { referralLinks } from './referral-links';
import { type Resolution, ReferralResolution, type ResolveInput } from './referral-resolution';
import { ReferralErrors } from './referrals.errors';
import {
  type ActiveReferral,
  type EntriesMove,
  type ReferralLookup,
  findActiveReferrals,
  moveEntries,
  pageOfReferrals,
  referralsUsingModule,
} from './referrals.repository';
import { type FunnelActivity, FunnelRecorder, type ReferralTouch } from './stats/funnel-recorder';
import { funnelRowsOfMerge } from './stats/funnel.repository';
import { LinkTargets } from './tracked-links/link-targets';

const UNIQUE_PARAM = 'uq_referrals_bot_param';

@Injectable()
@ModuleUsageFinder()
export class ReferralsService implements ModuleUsageFinder {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly bots: BotsService,
    private readonly segments: SegmentsService,
    private readonly modules: ModulesService,
    private readonly resolution: ReferralResolution,
    private readonly funnel: FunnelRecorder,
    private readonly linkTargets: LinkTargets,
  ) {}

  async create(botId: string, dto: CreateReferralDto): Promise<ReferralDto> {
    const referral = await this.dataSource.transaction(async (tx) => {
      await this.modules.lockReferences(
        botId,
        this.answerRefs(dto.content ?? null, dto.moduleId ?? null),
        tx,
      );
      const segment = await this.segments.findOrCreateByName(botId, dto.segmentName, tx);
      const created = tx.create(Referral, {
        botId,
        trackingParam: dto.trackingParam,
        answerType: dto.answerType,
        content: dto.content ?? null,
        moduleId: dto.moduleId ?? null,
        segmentId: segment.id,
        description: dto.description ?? null,
        active: dto.active ?? true,
      });
      return this.saveUnique(tx, created);
    });
    // A param clicked before it existed is cached as unknown: forget that.
    this.linkTargets.forget(botId);
    return this.toDtos(botId, [referral]).then((dtos) => dtos[0]);
  }

  async list(botId: string, query: ListReferralsQueryDto): Promise<ReferralPageDto> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const search = query.search
      ? {
          text: query.search,
          segmentIds: await this.segments.findIdsByNameContaining(botId, query.search),
        }
      : undefined;
    const { rows, total } = await pageOfReferrals(
      this.dataSource.manager,
      botId,
      { answerType: query.answerType, active: query.active, search },
      cursor,
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: await this.toDtos(botId, page),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
      total,
    };
  }

  async get(botId: string, referralId: string): Promise<ReferralDto> {
    const referral = await this.load(botId, referralId, this.dataSource.manager);
    return this.toDtos(botId, [referral]).then((dtos) => dtos[0]);
  }

  async update(botId: string, referralId: string, dto: UpdateReferralDto): Promise<ReferralDto> {
    const referral = await this.dataSource.transaction(async (tx) => {
      const current = await this.load(botId, referralId, tx, true);
      const answerType = dto.answerType ?? current.answerType;
      const content = this.mergedField(
        'content',
        dto.content,
        current,
        answerType,
      ) as Content | null;
      const moduleId = this.mergedField('moduleId', dto.moduleId, current, answerType) as
        string | null;
      await this.modules.lockReferences(botId, this.answerRefs(content, moduleId), tx);
      if (dto.segmentName !== undefined) {
        current.segmentId = (await this.segments.findOrCreateByName(botId, dto.segmentName, tx)).id;
      }
      Object.assign(current, { answerType, content, moduleId });
      if (dto.trackingParam !== undefined) current.trackingParam = dto.trackingParam;
      if (dto.description !== undefined) current.description = dto.description;
      if (dto.active !== undefined) current.active = dto.active;
      return this.saveUnique(tx, current);
    });
    // Tracked links of this process follow the change at once (others within their cache's life).
    this.linkTargets.forget(botId);
    return this.toDtos(botId, [referral]).then((dtos) => dtos[0]);
  }

  /** Soft delete: the entries stay for the statistics and the tracking param is free again. */
  async remove(botId: string, referralId: string): Promise<void> {
    const result = await this.dataSource.manager.update(
      Referral,
      { id: referralId, botId, deletedAt: IsNull() },
      { deletedAt: new Date() },
    );
    if (!result.affected) throw ReferralErrors.notFound();
    this.linkTargets.forget(botId);
  }

  /** A QR code of one channel's link; 409 MESSENGER_NOT_CONNECTED for Messenger without a page. */
  async qr(botId: string, referralId: string, query: QrQueryDto): Promise<QrImage> {
    const { links } = await this.get(botId, referralId);
    const link = links[query.channel];
    if (!link) throw ReferralErrors.messengerNotConnected();
    return renderQr(link, query.format);
  }

  /**
   * A contact came in through `ref`: records the entry (also for unknown refs) and the segment
   * membership in the caller's transaction, and returns the answer (the bot's welcome when no
   * active referral matches).
   */
  async resolve(input: ResolveInput, tx?: EntityManager): Promise<Resolution> {
    if (tx) return this.resolution.resolve(input, tx);
    return this.dataSource.transaction((own) => this.resolution.resolve(input, own));
  }

  /** `resolve` for many entries at once (a batch of inbound events), in one transaction. */
  async resolveMany(inputs: ResolveInput[], tx?: EntityManager): Promise<Resolution[]> {
    if (tx) return this.resolution.resolveMany(inputs, tx);
    return this.dataSource.transaction((own) => this.resolution.resolveMany(inputs, own));
  }

  /** Receipts (delivered / read watermarks) and engagement, in the caller's transaction. */
  recordActivity(activities: FunnelActivity[], tx: EntityManager): Promise<void> {
    return this.funnel.recordActivity(activities, tx);
  }

  /**
   * A contact's first-touch and last-touch referrals (for the contact's page): the referral it
   * first entered through and the one it entered through last, with when; null for none.
   */
  contactTouches(
    botId: string,
    contactId: string,
    tx?: EntityManager,
  ): Promise<{ firstTouch: ReferralTouch | null; lastTouch: ReferralTouch | null }> {
    return this.funnel.touches(botId, contactId, tx ?? this.dataSource.manager);
  }

  /**
   * Each lookup's live, active referral of its bot (tracking params compared case-insensitively),
   * or null; in the order given. One statement for all of them, and in a transaction each lookup
   * is read once: `resolveMany` in the same transaction reads them again for free.
   */
  findActiveByTrackingParams(
    lookups: ReferralLookup[],
    tx?: EntityManager,
  ): Promise<(ActiveReferral | null)[]> {
    if (lookups.length === 0) return Promise.resolve([]);
    return findActiveReferrals(tx ?? this.dataSource.manager, lookups);
  }

  private mergedField(
    field: 'content' | 'moduleId',
    given: unknown,
    current: Referral,
    answerType: AnswerType,
  ): unknown {
    const kept = current.answerType === answerType ? current[field] : null;
    const value = given !== undefined ? given : kept;
    const problem = answerFieldProblem(field, answerType, value);
    if (problem) throw AppError.invalidField(field, problem);
    return value ?? null;
  }

  private answerRefs(content: Content | null, moduleId: string | null): ModuleRef[] {
    const refs = content ? this.modules.contentRefs(content, 'content') : [];
    if (moduleId) refs.push({ field: 'moduleId', moduleId });
    return refs;
  }

  /**
   * Two contacts turned out to be one person: `fromContactId`'s entries become `toContactId`'s
   * (in `toConversationId` when its conversation was merged away). Only an entry at the merged
   * contact's first sighting (`firstSeenAt`) still counts as a new contact, so the person counts once
   * (a referral both contacts had entered gives back its second unique count: `recordMerge`).
   */
  async moveEntries(tx: EntityManager, move: EntriesMove): Promise<void> {
    const overlaps = await funnelRowsOfMerge(tx, move.botId, move.fromContactId, move.toContactId);
    await moveEntries(tx, move);
    await this.funnel.recordMerge(overlaps, tx);
  }

  private async saveUnique(tx: EntityManager, referral: Referral): Promise<Referral> {
    try {
      return await tx.save(referral);
    } catch (error) {
      if (isUniqueViolation(error, UNIQUE_PARAM))
        throw ReferralErrors.trackingParamTaken(referral.trackingParam);
      throw error;
    }
  }

  private async load(
    botId: string,
    referralId: string,
    manager: EntityManager,
    lock = false,
  ): Promise<Referral> {
    const referral = await manager.findOne(Referral, {
      where: { id: referralId, botId },
      lock: lock ? { mode: 'pessimistic_write' } : undefined,
    });
    if (!referral) throw ReferralErrors.notFound();
    return referral;
  }

  /** The referrals of bot `botId` that answer with module `moduleId` or link to it. */
  async moduleUsages(botId: string, moduleId: string, tx: EntityManager): Promise<ModuleUsage[]> {
    const rows = await referralsUsingModule(tx, botId, moduleId);
    return rows.map((row) => ({ kind: 'referral', id: row.id, name: row.name }));
  }

  private async toDtos(botId: string, referrals: Referral[]): Promise<ReferralDto[]> {
    if (referrals.length === 0) return [];
    const [targets, segments] = await Promise.all([
      this.bots.getLinkTargets(botId),
      this.segments.getRefs(
        botId,
        referrals.map((r) => r.segmentId),
      ),
    ]);
    return referrals.map((referral) => this.toDto(referral, targets, segments));
  }

  private toDto(
    referral: Referral,
    targets: BotLinkTargets,
    segments: Map<string, SegmentRef>,
  ): ReferralDto {
    return {
      id: referral.id,
      trackingParam: referral.trackingParam,
      answerType: referral.answerType,
      content: referral.content,
      moduleId: referral.moduleId,
      segment: segments.get(referral.segmentId) ?? { id: referral.segmentId, name: '' },
      description: referral.description,
      active: referral.active,
      links: referralLinks(targets, referral.trackingParam, this.config.publicBaseUrl),
      createdAt: referral.createdAt,
      updatedAt: referral.updatedAt,
    };
  }
}
