import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { STAT_COUNTERS, type StatCounter } from '../entities/referral-stat.entity';
import { type StatsInterval } from './dto/stats-query.dto';
import { COUNTER_COLUMNS } from './rollups.repository';
import { type StatsRange } from './stats-range';

export type CountsRow = Record<StatCounter, number>;

export interface SeriesRow extends CountsRow {
  /** The bucket's first instant, its local wall time and its UTC offset in seconds. */
  start: Date;
  localStart: string;
  offsetSeconds: number;
}

export interface BreakdownRow extends CountsRow {
  source: string;
  channel: string;
  adId: string;
  title: string | null;
}

export interface OverviewRow extends CountsRow {
  id: string;
  trackingParam: string;
  active: boolean;
}

export interface EntryRow {
  id: string;
  contactId: string;
  occurredAt: Date;
  source: string | null;
  channel: string;
  adId: string | null;
  adTitle: string | null;
  isNewContact: boolean;
}

/** `sum(x)::int AS "x"` for every counter, from `alias`'s rollup columns. */
const SUMS = (alias: string): string =>
  STAT_COUNTERS.map(
    (counter, i) => `coalesce(sum(${alias}.${COUNTER_COLUMNS[i]}), 0)::int AS "${counter}"`,
  ).join(', ');

/** The SQL reads behind referral stats: rollups only, never the raw entries and clicks. */
@Injectable()
export class ReferralStatsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One row per local interval of `range.timeZone` from the one holding `from` up to `to`,
   * zero-filled. Built on a grid of the 15-minute rollup buckets: each bucket belongs to the local
   * hour, day or week (ISO, from Monday) its start falls in; a bucket starts at its first 15
   * minutes, so a day without a midnight (DST at 00:00) starts at its first instant. Hours are
   * keyed by their UTC offset too, so the hour repeated when clocks go back is two buckets.
   */
  async series(
    referralId: string,
    botId: string,
    range: StatsRange,
    interval: StatsInterval,
  ): Promise<SeriesRow[]> {
    return this.dataSource.query<SeriesRow[]>(
      `WITH grid AS (
         SELECT g AS at, date_trunc($5, g AT TIME ZONE $4) AS local_start,
                CASE WHEN $5 = 'hour' THEN (g AT TIME ZONE $4) - (g AT TIME ZONE 'UTC') END AS hour_offset
           FROM generate_series(date_bin('15 minutes', $3::timestamptz - interval '8 days', TIMESTAMPTZ '2000-01-01 00:00:00+00'),
                                $6::timestamptz - interval '1 microsecond', interval '15 minutes') AS g
       ), kept AS (
         SELECT * FROM grid WHERE local_start >= date_trunc($5, $3::timestamptz AT TIME ZONE $4)
       ), rollup AS (
         SELECT s.bucket, ${SUMS('s')}
           FROM referral_stats s
          WHERE s.referral_id = $1 AND s.bot_id = $2 AND s.channel = '*'
            AND s.bucket >= (SELECT min(at) FROM kept) AND s.bucket < $6
          GROUP BY s.bucket
       ), buckets AS (
         SELECT min(k.at) AS start, ${STAT_COUNTERS.map((c) => `coalesce(sum(r."${c}"), 0)::int AS "${c}"`).join(', ')}
           FROM kept k LEFT JOIN rollup r ON r.bucket = k.at
          GROUP BY k.local_start, k.hour_offset
       )
       SELECT start, to_char(start AT TIME ZONE $4, 'YYYY-MM-DD"T"HH24:MI:SS') AS "localStart",
              extract(epoch FROM (start AT TIME ZONE $4) - (start AT TIME ZONE 'UTC'))::int AS "offsetSeconds",
              ${STAT_COUNTERS.map((c) => `"${c}"`).join(', ')}
         FROM buckets ORDER BY start`,
      [referralId, botId, range.from, range.timeZone, interval, range.to],
    );
  }

  /**
   * Entry-side counts per (source, channel, ad) over the range of `series`: from the start of the
   * local interval holding `from` (a local start that does not exist, in a DST gap, is read as
   * the first instant after it) up to `to`.
   */
  async breakdown(
    referralId: string,
    botId: string,
    range: StatsRange,
    interval: StatsInterval,
  ): Promise<BreakdownRow[]> {
    return this.dataSource.query<BreakdownRow[]>(
      `SELECT s.source, s.channel, s.ad_id AS "adId", min(a.title) AS title, ${SUMS('s')}
         FROM referral_stats s
         LEFT JOIN referral_ads a ON a.bot_id = s.bot_id AND a.ad_id = s.ad_id
        WHERE s.referral_id = $1 AND s.bot_id = $2 AND s.channel <> '*' AND s.bucket < $4
          AND s.bucket >= date_trunc($6, $3::timestamptz AT TIME ZONE $5) AT TIME ZONE $5
        GROUP BY s.source, s.channel, s.ad_id`,
      [referralId, botId, range.from, range.to, range.timeZone, interval],
    );
  }

  /**
   * The bot's live referrals with their totals over [from, to), sorted by `sort` then id, from
   * after `cursor`. `sort` must be one of STAT_COUNTERS (it is put in the SQL as a name).
   */
  async overview(
    botId: string,
    from: Date,
    to: Date,
    sort: StatCounter,
    order: 'asc' | 'desc',
    limit: number,
    cursor: { value: number; id: string } | undefined,
  ): Promise<OverviewRow[]> {
    if (!STAT_COUNTERS.includes(sort)) throw new Error(`not a counter: ${sort}`);
    const direction = order === 'asc' ? 'ASC' : 'DESC';
    const after = order === 'asc' ? '>' : '<';
    return this.dataSource.query<OverviewRow[]>(
      `WITH totals AS (
         SELECT r.id, r.tracking_param AS "trackingParam", r.active, ${SUMS('s')}
           FROM referrals r
           LEFT JOIN referral_stats s ON s.referral_id = r.id AND s.bot_id = r.bot_id AND s.channel = '*'
                                     AND s.bucket >= $2 AND s.bucket < $3
          WHERE r.bot_id = $1 AND r.deleted_at IS NULL
          GROUP BY r.id
       )
       SELECT * FROM totals
        WHERE $4::int IS NULL OR ("${sort}", id) ${after} ($4::int, $5::uuid)
        ORDER BY "${sort}" ${direction}, id ${direction}
        LIMIT $6`,
      [botId, from, to, cursor?.value ?? null, cursor?.id ?? null, limit],
    );
  }

  /** Entries of a referral in [from, to), newest first, from after the cursor. */
  async entries(
    referralId: string,
    botId: string,
    from: Date,
    to: Date,
    limit: number,
    cursor: { createdAt: Date; id: string } | undefined,
  ): Promise<EntryRow[]> {
    return this.dataSource.query<EntryRow[]>(
      `SELECT e.id, e.contact_id AS "contactId", e.occurred_at AS "occurredAt", e.source, e.channel,
              e.ad_id AS "adId", a.title AS "adTitle", e.is_new_contact AS "isNewContact"
         FROM referral_entries e
         LEFT JOIN referral_ads a ON a.bot_id = e.bot_id AND a.ad_id = e.ad_id
        WHERE e.referral_id = $1 AND e.bot_id = $2 AND e.occurred_at >= $3 AND e.occurred_at < $4
          AND ($5::timestamptz IS NULL OR (e.occurred_at, e.id) < ($5::timestamptz, $6::bigint))
        ORDER BY e.occurred_at DESC, e.id DESC
        LIMIT $7`,
      [referralId, botId, from, to, cursor?.createdAt ?? null, cursor?.id ?? null, limit],
    );
  }

  /** Whether the bot has the referral, not deleted. */
  async liveReferralExists(botId: string, referralId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM referrals WHERE id = $1 AND bot_id = $2 AND deleted_at IS NULL`,
      [referralId, botId],
    );
    return rows.length > 0;
  }

  /**
   * The wall time at `at` in `timeZone` (`YYYY-MM-DDTHH:MI:SS`) and the zone's UTC offset then, in
   * seconds, from Postgres' time-zone database (the one the series are bucketed with).
   */
  async localTime(at: Date, timeZone: string): Promise<{ local: string; offset: number }> {
    const rows = await this.dataSource.query<{ local: string; offset: number }[]>(
      `SELECT to_char($1::timestamptz AT TIME ZONE $2, 'YYYY-MM-DD"T"HH24:MI:SS') AS local,
              extract(epoch FROM ($1::timestamptz AT TIME ZONE $2) - ($1::timestamptz AT TIME ZONE 'UTC'))::int AS offset`,
      [at, timeZone],
    );
    return rows[0];
  }

  /** The instant a wall time without offset (`YYYY-MM-DDTHH:MI:SS`) names in `timeZone`. */
  async instantOf(wallTime: string, timeZone: string): Promise<Date> {
    const rows = await this.dataSource.query<{ at: Date }[]>(
      `SELECT ($1::timestamp AT TIME ZONE $2) AS at`,
      [wallTime, timeZone],
    );
    return rows[0].at;
  }

  /** Every time-zone name Postgres knows. */
  async timeZoneNames(): Promise<string[]> {
    const rows = await this.dataSource.query<{ name: string }[]>(
      `SELECT name FROM pg_timezone_names`,
    );
    return rows.map((row) => row.name);
  }
}
