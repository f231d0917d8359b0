import { Injectable } from '@nestjs/common';
import { ReferralErrors } from '../referrals.errors';
import { ReferralStatsRepository } from './referral-stats.repository';

/** A validated range: instants, and the IANA zone name as Postgres spells it. */
export interface StatsRange {
  from: Date;
  to: Date;
  timeZone: string;
}

const DEFAULT_DAYS = 30;
const DAY_MS = 24 * 3600_000;
/** Years a range may touch: enough for any campaign, and far from what date arithmetic overflows. */
const MIN_YEAR = 2000;
const MAX_YEAR = 2100;
/** The longest range, whatever the interval. */
export const MAX_RANGE_DAYS = 3 * 366;

const PARTS =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2}))?)?$/;

/**
 * Reads `from`, `to` and `timeZone` of a stats request into instants. A value without an offset
 * is local time in the zone (as Postgres reads it, DST included). Anything Postgres would refuse
 * (30 February, hour 24, an unknown zone) is a 400 here, never a failed query.
 */
@Injectable()
export class StatsRanges {
  /** Lower-cased zone name -> the name Postgres lists; loaded once. */
  private zones: Promise<Map<string, string>> | null = null;

  constructor(private readonly repository: ReferralStatsRepository) {}

  /** The zone as Postgres names it; 400 STATS_UNKNOWN_TIME_ZONE when it knows none such. */
  async timeZone(value: string | undefined): Promise<string> {
    const name = value ?? 'UTC';
    this.zones ??= this.loadZones();
    const known = (await this.zones).get(name.toLowerCase());
    if (!known) throw ReferralErrors.unknownTimeZone(name);
    return known;
  }

  async range(
    query: { from?: string; to?: string; timeZone?: string },
    now = new Date(),
  ): Promise<StatsRange> {
    const timeZone = await this.timeZone(query.timeZone);
    const to = query.to !== undefined ? await this.instant('to', query.to, timeZone) : now;
    const from =
      query.from !== undefined
        ? await this.instant('from', query.from, timeZone)
        : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
    if (from.getTime() >= to.getTime()) throw ReferralErrors.invalidRange('from must be before to');
    if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS)
      throw ReferralErrors.rangeTooLong(`The range may span ${MAX_RANGE_DAYS} days at most`);
    return { from, to, timeZone };
  }

  private async instant(field: 'from' | 'to', value: string, timeZone: string): Promise<Date> {
    const parts = PARTS.exec(value);
    if (!parts) throw ReferralErrors.invalidRange(`${field} is not an ISO 8601 date or date-time`);
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
      Number(parts[i] ?? 0),
    );
    const offsetHours = Number(parts[8] ?? 0);
    const offsetMinutes = Number(parts[9] ?? 0);
    const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (
      year < MIN_YEAR ||
      year > MAX_YEAR ||
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth ||
      hour > 23 ||
      minute > 59 ||
      second > 59 ||
      offsetHours > 18 ||
      offsetMinutes > 59
    ) {
      throw ReferralErrors.invalidRange(
        `${field} is not a calendar date-time between ${MIN_YEAR} and ${MAX_YEAR}`,
      );
    }
    if (parts[7] !== undefined) return new Date(value);
    return this.repository.instantOf(value, timeZone);
  }

  private async loadZones(): Promise<Map<string, string>> {
    try {
      const names = await this.repository.timeZoneNames();
      return new Map(names.map((name) => [name.toLowerCase(), name]));
    } catch (error) {
      this.zones = null;
      throw error;
    }
  }
}
