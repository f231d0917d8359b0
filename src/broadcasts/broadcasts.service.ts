import { Injectable } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  type Page,
  type PageQueryDto,
  toPage,
} from '../common/pagination';
import { type AudienceQuery, SegmentsService } from '../segments';
import { BroadcastRunner } from './broadcast-runner';
import { BroadcastErrors } from './broadcasts.errors';
import { type BroadcastCounts, BroadcastsRepository } from './broadcasts.repository';
import { ContactFactsLoader } from './contact-facts';
import {
  type BroadcastDto,
  type BroadcastPreviewDto,
  type RecipientDto,
  type RecipientsQueryDto,
} from './dto/broadcast.dto';
import { type CreateBroadcastDto, type PreviewBroadcastDto } from './dto/create-broadcast.dto';
import { type Broadcast, type BroadcastStatus } from './entities/broadcast.entity';
import { decide } from './messaging-policy';

const PREVIEW_CHUNK = 1000;

/** Broadcasts of a bot: preview, create, list, inspect, pause, resume, cancel. */
@Injectable()
export class BroadcastsService {
  constructor(
    private readonly repository: BroadcastsRepository,
    private readonly segments: SegmentsService,
    private readonly facts: ContactFactsLoader,
    private readonly runner: BroadcastRunner,
  ) {}

  /**
   * Who a broadcast with this audience (and tag or topic) would reach now, without sending: the
   * audience streamed in chunks through the same policy the send applies.
   */
  async preview(botId: string, dto: PreviewBroadcastDto): Promise<BroadcastPreviewDto> {
    const audience = await this.checkAudience(botId, dto.audience);
    const rules = {
      messageTag: dto.messageTag ?? null,
      notificationTopic: dto.notificationTopic ?? null,
    };
    const result: BroadcastPreviewDto = { total: 0, reachable: 0, skipped: {} };
    for await (const contactIds of this.segments.streamAudience(botId, audience, PREVIEW_CHUNK)) {
      const now = new Date();
      const facts = await this.facts.load(botId, contactIds, rules, now);
      for (const fact of facts) {
        const decision = decide(fact, rules, now);
        result.total++;
        if ('send' in decision) result.reachable++;
        else result.skipped[decision.skip] = (result.skipped[decision.skip] ?? 0) + 1;
      }
    }
    return result;
  }

  /** Stores the broadcast; `sending` at once (its run queued) or `scheduled` for a future `sendAt`. */
  async create(botId: string, dto: CreateBroadcastDto): Promise<BroadcastDto> {
    const audience = await this.checkAudience(botId, dto.audience);
    const now = new Date();
    const sendAt = dto.sendAt ? new Date(dto.sendAt) : now;
    const year = sendAt.getUTCFullYear();
    if (Number.isNaN(year) || year < 1 || year > 9999) throw BroadcastErrors.badSendAt();
    const broadcast = await this.repository.insert({
      botId,
      name: dto.name,
      audience,
      content: dto.content,
      sendAt,
      messageTag: dto.messageTag ?? null,
      notificationTopic: dto.notificationTopic ?? null,
      status: sendAt.getTime() > now.getTime() ? 'scheduled' : 'sending',
    });
    if (broadcast.status === 'sending') await this.runner.enqueue([broadcast.id]);
    return this.toDto(broadcast);
  }

  async list(botId: string, query: PageQueryDto): Promise<Page<BroadcastDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid') ?? null;
    const rows = await this.repository.list(botId, cursor, query.limit);
    const counts = await this.repository.counts(rows.map((row) => row.id));
    return toPage(rows, query.limit, (row) => toDto(row, counts.get(row.id)!));
  }

  async get(botId: string, id: string): Promise<BroadcastDto> {
    return this.toDto(await this.owned(botId, id));
  }

  /** Stops sending after the round in flight; `resume` carries on with the pending recipients. */
  async pause(botId: string, id: string): Promise<BroadcastDto> {
    return this.move(botId, id, 'paused', ['sending'], 'paused');
  }

  async resume(botId: string, id: string): Promise<BroadcastDto> {
    const dto = await this.move(botId, id, 'resumed', ['paused'], 'sending');
    await this.runner.enqueue([id]);
    return dto;
  }

  /** Nobody pending gets it any more: pending recipients are skipped as CANCELLED. */
  async cancel(botId: string, id: string): Promise<BroadcastDto> {
    await this.owned(botId, id);
    if (
      !(await this.repository.transition(
        botId,
        id,
        ['scheduled', 'sending', 'paused'],
        'cancelled',
      ))
    ) {
      const current = await this.owned(botId, id);
      throw BroadcastErrors.statusConflict('cancelled', current.status);
    }
    await this.repository.skipPending(id, 'CANCELLED');
    return this.get(botId, id);
  }

  /** Recipients in the order they were materialised, optionally of one status. */
  async recipients(
    botId: string,
    id: string,
    query: RecipientsQueryDto,
  ): Promise<Page<RecipientDto>> {
    await this.owned(botId, id);
    // Recipients page by their bigint id alone; the cursor's date is not used.
    const cursor = decodeCursor(query.cursor, 'bigint');
    const rows = await this.repository.recipients(
      id,
      query.status,
      cursor?.id ?? null,
      query.limit,
    );
    const hasMore = rows.length > query.limit;
    const page = hasMore ? rows.slice(0, query.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(({ id: _id, ...row }) => row),
      nextCursor: hasMore && last ? encodeCursor({ createdAt: new Date(0), id: last.id }) : null,
    };
  }

  private async move(
    botId: string,
    id: string,
    action: string,
    from: BroadcastStatus[],
    to: BroadcastStatus,
  ): Promise<BroadcastDto> {
    const broadcast = await this.owned(botId, id);
    if (!(await this.repository.transition(botId, id, from, to)))
      throw BroadcastErrors.statusConflict(
        action,
        (await this.owned(botId, id)).status ?? broadcast.status,
      );
    return this.get(botId, id);
  }

  private async owned(botId: string, id: string): Promise<Broadcast> {
    const broadcast = await this.repository.find(id, botId);
    if (!broadcast) throw BroadcastErrors.notFound();
    return broadcast;
  }

  /** The audience with every segment checked to be the bot's: unknown ones are a 400. */
  private async checkAudience(
    botId: string,
    audience: AudienceQuery,
  ): Promise<Required<AudienceQuery>> {
    const unique = (ids: string[] | undefined): string[] =>
      [...new Set((ids ?? []).map((id) => id.toLowerCase()))].sort();
    const normalised = {
      include: unique(audience.include),
      intersect: unique(audience.intersect),
      exclude: unique(audience.exclude),
    };
    const ids = [
      ...new Set([...normalised.include, ...normalised.intersect, ...normalised.exclude]),
    ];
    const found = await this.segments.getRefs(botId, ids);
    const unknown = ids.filter((segmentId) => !found.has(segmentId));
    if (unknown.length > 0) throw BroadcastErrors.unknownSegments(unknown);
    return normalised;
  }

  private async toDto(broadcast: Broadcast): Promise<BroadcastDto> {
    const counts = await this.repository.counts([broadcast.id]);
    return toDto(broadcast, counts.get(broadcast.id)!);
  }
}

function toDto(broadcast: Broadcast, counts: BroadcastCounts): BroadcastDto {
  return {
    id: broadcast.id,
    name: broadcast.name,
    status: broadcast.status,
    audience: broadcast.audience,
    content: broadcast.content as unknown as Record<string, unknown>,
    sendAt: broadcast.sendAt,
    messageTag: broadcast.messageTag,
    notificationTopic: broadcast.notificationTopic,
    counts,
    createdAt: broadcast.createdAt,
    completedAt: broadcast.completedAt,
  };
}
