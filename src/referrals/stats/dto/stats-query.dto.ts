import { ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../common/pagination';
import { STAT_COUNTERS, type StatCounter } from '../../entities/referral-stat.entity';

export const INTERVALS = ['hour', 'day', 'week'] as const;
export type StatsInterval = (typeof INTERVALS)[number];

/**
 * An ISO 8601 date or date-time, with or without an offset: `2026-11-28`, `2026-11-28T09:30`,
 * `2026-11-28T09:30:00.000Z`, `2026-11-28T09:30:00+13:00`. Without an offset it is local time in
 * `timeZone`. The calendar check (no 30 February) is done when the range is read.
 */
export const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const ISO_MESSAGE =
  'must be an ISO 8601 date or date-time, e.g. 2026-11-28 or 2026-11-28T09:30:00+13:00';

/** The time range of a stats request. */
export class StatsRangeQueryDto {
  @ApiPropertyOptional({
    description:
      'Start of the range (ISO 8601; without an offset, local time in `timeZone`). Default: 30 days before `to`. ' +
      'Rounded down to the start of its interval.',
    example: '2026-11-01',
    pattern: ISO_INSTANT.source,
  })
  @IsOptional()
  @IsString()
  @Matches(ISO_INSTANT, { message: `from ${ISO_MESSAGE}` })
  from?: string;

  @ApiPropertyOptional({
    description: 'End of the range, exclusive (ISO 8601, as `from`). Default: now.',
    example: '2026-12-01',
    pattern: ISO_INSTANT.source,
  })
  @IsOptional()
  @IsString()
  @Matches(ISO_INSTANT, { message: `to ${ISO_MESSAGE}` })
  to?: string;

  @ApiPropertyOptional({
    description: 'IANA time zone the range and the buckets are read in, e.g. `Pacific/Auckland`.',
    default: 'UTC',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
}

/** `GET .../referrals/{referralId}/stats`. */
export class ReferralStatsQueryDto extends StatsRangeQueryDto {
  @ApiPropertyOptional({
    enum: INTERVALS,
    default: 'day',
    description: 'Bucket size of `series`, cut at local hours, midnights or Mondays of `timeZone`.',
  })
  @IsOptional()
  @IsIn(INTERVALS)
  interval?: StatsInterval;
}

export const SORT_ORDERS = ['asc', 'desc'] as const;

/** `GET .../referrals/stats`: the campaign overview. */
export class ReferralOverviewQueryDto extends IntersectionType(PageQueryDto, StatsRangeQueryDto) {
  @ApiPropertyOptional({
    enum: STAT_COUNTERS,
    default: 'entries',
    description: 'Total to sort by.',
  })
  @IsOptional()
  @IsIn(STAT_COUNTERS)
  sort?: StatCounter;

  @ApiPropertyOptional({ enum: SORT_ORDERS, default: 'desc' })
  @IsOptional()
  @IsIn(SORT_ORDERS)
  order?: (typeof SORT_ORDERS)[number];
}

export const ENTRY_FORMATS = ['json', 'csv'] as const;

/** `GET .../referrals/{referralId}/entries`. */
export class ReferralEntriesQueryDto extends IntersectionType(PageQueryDto, StatsRangeQueryDto) {
  @ApiPropertyOptional({
    enum: ENTRY_FORMATS,
    default: 'json',
    description: '`csv` streams every entry of the range as CSV (limit and cursor do not apply).',
  })
  @IsOptional()
  @IsIn(ENTRY_FORMATS)
  format?: (typeof ENTRY_FORMATS)[number];
}
