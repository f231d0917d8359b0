import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import { AppError } from '../../common/errors';
import { decodeCursor, encodeCursor } from '../../common/pagination';
import { STAT_COUNTERS, type StatCounter } from '../entities/referral-stat.entity';
import { ReferralErrors } from '../referrals.errors';
import {
  type AdStatsDto,
  type ChannelStatsDto,
  type FunnelCountsDto,
  type FunnelRatesDto,
  type FunnelTotalsDto,
  type ReferralEntryDto,
  type ReferralEntryPageDto,
  type ReferralOverviewPageDto,
  type ReferralStatsDto,
  type SourceStatsDto,
} from './dto/referral-stats.dto';
import {
  type ReferralEntriesQueryDto,
  type ReferralOverviewQueryDto,
  type ReferralStatsQueryDto,
  type StatsInterval,
} from './dto/stats-query.dto';
import {
  type CountsRow,
  type EntryRow,
  ReferralStatsRepository,
} from './referral-stats.repository';
import { StatsRanges } from './stats-range';

/** Buckets one series may have at most (an hourly series of about 83 days). */
const MAX_BUCKETS = 2000;
const INTERVAL_MS: Record<StatsInterval, number> = {
  hour: 3600_000,
  day: 24 * 3600_000,
  week: 7 * 24 * 3600_000,
};
/** Entries read per round trip while streaming CSV. */
const CSV_CHUNK = 5000;

function zero(): CountsRow {
  return Object.fromEntries(STAT_COUNTERS.map((c) => [c, 0])) as CountsRow;
}

function counts(row: CountsRow): FunnelCountsDto {
  return Object.fromEntries(
    STAT_COUNTERS.map((c) => [c, Number(row[c])]),
  ) as unknown as FunnelCountsDto;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null;
}

/** The counts with the rates between the funnel's steps. */
export function withRates(row: CountsRow): FunnelTotalsDto {
  const c = counts(row);
  const rates: FunnelRatesDto = {
    entriesPerClick: ratio(c.entries, c.clicks),
    newContactRate: ratio(c.newContacts, c.uniqueContacts),
    answerRate: ratio(c.answersSent, c.entries),
    deliveryRate: ratio(c.answersDelivered, c.answersSent),
    readRate: ratio(c.answersRead, c.answersDelivered),
    engagementRate: ratio(c.engagedContacts, c.uniqueContacts),
  };
  return { ...c, rates };
}

/** `2026-11-28T00:00:00` and +13 h as `2026-11-28T00:00:00+13:00`. */
export function withOffset(localStart: string, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const minutes = Math.abs(Math.round(offsetSeconds / 60));
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${localStart}${sign}${hh}:${mm}`;
}

function add(into: CountsRow, row: CountsRow): void {
  for (const c of STAT_COUNTERS) into[c] += Number(row[c]);
}

function groupBy<K extends string>(
  rows: (CountsRow & Record<K, string>)[],
  key: K,
): Map<string, CountsRow> {
  const groups = new Map<string, CountsRow>();
  for (const row of rows) {
    const total = groups.get(row[key]) ?? zero();
    add(total, row);
    groups.set(row[key], total);
  }
  return groups;
}

function overviewCursor(cursor: string | undefined): { value: number; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > 2 ** 31 - 1)
      throw new Error('bad cursor');
    if (typeof id !== 'string' || !isUUID(id)) throw new Error('bad cursor');
    return { value: value as number, id };
  } catch {
    throw AppError.invalidField('cursor', 'is not a cursor this API returned');
  }
}

/**
 * Referral statistics from the rollups: one referral's funnel over time and by source, channel
 * and ad; every referral's totals (the campaign overview); and the entries behind them.
 */
@Injectable()
export class ReferralStatsService {
  constructor(
    private readonly repository: ReferralStatsRepository,
    private readonly ranges: StatsRanges,
  ) {}

  /** The funnel of one referral; 404 for a referral the bot does not have, 400 for a bad range. */
  async referralStats(
    botId: string,
    referralId: string,
    query: ReferralStatsQueryDto,
  ): Promise<ReferralStatsDto> {
    const interval = query.interval ?? 'day';
    const [range] = await Promise.all([
      this.ranges.range(query),
      this.assertReferral(botId, referralId),
    ]);
    const buckets = Math.ceil((range.to.getTime() - range.from.getTime()) / INTERVAL_MS[interval]);
    if (buckets > MAX_BUCKETS)
      throw ReferralErrors.rangeTooLong(
        `A series has ${MAX_BUCKETS} buckets at most; this range has about ${buckets} ${interval}s`,
      );
    // Independent reads, each on its own connection: the answer waits for the slowest only.
    const [rows, entrySide, offsetAt] = await Promise.all([
      this.repository.series(referralId, botId, range, interval),
      this.repository.breakdown(referralId, botId, range, interval),
      this.offsetAt(range.to, range.timeZone),
    ]);
    const total = zero();
    for (const row of rows) add(total, row);
    const bySource: SourceStatsDto[] = [...groupBy(entrySide, 'source')].map(([source, row]) => ({
      source: source === '' ? null : source,
      ...counts(row),
    }));
    const byChannel: ChannelStatsDto[] = [...groupBy(entrySide, 'channel')].map(
      ([channel, row]) => ({ channel, ...counts(row) }),
    );
    const ads = groupBy(
      entrySide.filter((row) => row.adId !== ''),
      'adId',
    );
    const titles = new Map(entrySide.map((row) => [row.adId, row.title]));
    const byAd: AdStatsDto[] = [...ads].map(([adId, row]) => ({
      adId,
      title: titles.get(adId) ?? null,
      ...counts(row),
    }));
    return {
      referralId,
      from: rows[0]
        ? withOffset(rows[0].localStart, rows[0].offsetSeconds)
        : offsetAt.from(range.from),
      to: offsetAt.to,
      interval,
      timeZone: range.timeZone,
      totals: withRates(total),
      series: rows.map((row) => ({
        start: withOffset(row.localStart, row.offsetSeconds),
        ...counts(row),
      })),
      bySource: bySource.sort((a, b) => b.entries - a.entries),
      byChannel: byChannel.sort((a, b) => b.entries - a.entries),
      byAd: byAd.sort((a, b) => b.entries - a.entries),
    };
  }

  /** Every live referral of the bot with its totals over the range, sorted and paginated. */
  async overview(botId: string, query: ReferralOverviewQueryDto): Promise<ReferralOverviewPageDto> {
    const range = await this.ranges.range(query);
    const sort: StatCounter = query.sort ?? 'entries';
    const order = query.order ?? 'desc';
    const cursor = overviewCursor(query.cursor);
    const rows = await this.repository.overview(
      botId,
      range.from,
      range.to,
      sort,
      order,
      query.limit + 1,
      cursor,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => ({
        referral: { id: row.id, trackingParam: row.trackingParam, active: row.active },
        totals: withRates(row),
      })),
      nextCursor:
        rows.length > query.limit && last
          ? Buffer.from(JSON.stringify([Number(last[sort]), last.id])).toString('base64url')
          : null,
    };
  }

  /** A page of the referral's entries, newest first. */
  async entries(
    botId: string,
    referralId: string,
    query: ReferralEntriesQueryDto,
  ): Promise<ReferralEntryPageDto> {
    await this.assertReferral(botId, referralId);
    const range = await this.ranges.range(query);
    const cursor = decodeCursor(query.cursor, 'bigint');
    const rows = await this.repository.entries(
      referralId,
      botId,
      range.from,
      range.to,
      query.limit + 1,
      cursor,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toEntryDto),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: new Date(last.occurredAt), id: last.id })
          : null,
    };
  }

  /**
   * Every entry of the range as CSV, read in chunks as the client takes them (backpressure), so
   * a million entries never sit in memory. Values that a spreadsheet would run as a formula are
   * escaped (`escape_formulas`).
   */
  async entriesCsv(
    botId: string,
    referralId: string,
    query: ReferralEntriesQueryDto,
  ): Promise<Readable> {
    await this.assertReferral(botId, referralId);
    const range = await this.ranges.range(query);
    const repository = this.repository;
    async function* chunks(): AsyncGenerator<ReferralEntryDto> {
      let cursor: { createdAt: Date; id: string } | undefined;
      for (;;) {
        const rows = await repository.entries(
          referralId,
          botId,
          range.from,
          range.to,
          CSV_CHUNK,
          cursor,
        );
        for (const row of rows) yield toEntryDto(row);
        if (rows.length < CSV_CHUNK) return;
        const last = rows[rows.length - 1];
        cursor = { createdAt: new Date(last.occurredAt), id: last.id };
      }
    }
    const csv = stringify({
      header: true,
      escape_formulas: true,
      columns: [
        'id',
        'occurredAt',
        'contactId',
        'contactStatus',
        'source',
        'channel',
        'adId',
        'adTitle',
      ],
      cast: { date: (value) => value.toISOString() },
    });
    return Readable.from(chunks()).pipe(csv);
  }

  private async assertReferral(botId: string, referralId: string): Promise<void> {
    if (!(await this.repository.liveReferralExists(botId, referralId)))
      throw ReferralErrors.notFound();
  }

  /** Formats instants of the range with the zone's offset at each. */
  private async offsetAt(
    to: Date,
    timeZone: string,
  ): Promise<{ to: string; from: (at: Date) => string }> {
    const { local, offset } = await this.repository.localTime(to, timeZone);
    return { to: withOffset(local, offset), from: (at) => at.toISOString() };
  }
}

function toEntryDto(row: EntryRow): ReferralEntryDto {
  return {
    id: row.id,
    contactId: row.contactId,
    occurredAt: new Date(row.occurredAt),
    source: row.source,
    channel: row.channel,
    adId: row.adId,
    adTitle: row.adTitle,
    contactStatus: row.isNewContact ? 'new' : 'returning',
  };
}
