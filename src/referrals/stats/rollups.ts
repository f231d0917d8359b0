import { type EntityManager } from 'typeorm';
import { prepared } from '../../database';
import { STAT_COUNTERS, type StatCounter } from '../entities/referral-stat.entity';

/** Rollup buckets are 15 minutes of UTC: every zone's offset is a multiple of that. */
export const BUCKET_MS = 15 * 60 * 1000;

/** The start of the 15-minute UTC bucket holding `at`. */
export function bucketOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / BUCKET_MS) * BUCKET_MS);
}

/** Where a count goes: a referral's bucket and the dimensions of what was counted. */
export interface RollupKey {
  referralId: string;
  botId: string;
  /** Any instant; its 15-minute bucket is used. */
  at: Date;
  /** '' for entries without a source (and for clicks). */
  source: string;
  /** '' for clicks, which are counted in the total row only. */
  channel: string;
  /** '' when not from an ad. */
  adId: string;
}

export type Counts = Partial<Record<StatCounter, number>>;

/**
 * Source, channel and ad of a bucket's total row: every count of the bucket, clicks included.
 * Series and totals read these rows only (one per bucket); breakdowns read the others.
 */
export const TOTAL = '*';

const COLUMN: Record<StatCounter, string> = {
  clicks: 'clicks',
  uniqueClicks: 'unique_clicks',
  botClicks: 'bot_clicks',
  entries: 'entries',
  uniqueContacts: 'unique_contacts',
  newContacts: 'new_contacts',
  returningContacts: 'returning_contacts',
  answersSent: 'answers_sent',
  answersDelivered: 'answers_delivered',
  answersRead: 'answers_read',
  engagedContacts: 'engaged_contacts',
};

/** The SQL column of each counter, in STAT_COUNTERS order. */
export const COUNTER_COLUMNS = STAT_COUNTERS.map((counter) => COLUMN[counter]);

/** Adds counts up per rollup row, so one statement touches each row once. */
export class RollupDeltas {
  private readonly rows = new Map<string, { key: RollupKey; bucket: Date; counts: Counts }>();

  /**
   * Counts `counts` in the referral's total row of the bucket, and, for entry-side facts (those
   * with a channel), in the row of their (source, channel, ad) too.
   */
  add(key: RollupKey, counts: Counts): void {
    this.addRow({ ...key, source: TOTAL, channel: TOTAL, adId: TOTAL }, counts);
    if (key.channel !== '') this.addRow(key, counts);
  }

  private addRow(key: RollupKey, counts: Counts): void {
    const bucket = bucketOf(key.at);
    const id = [key.referralId, bucket.getTime(), key.source, key.channel, key.adId].join('\u0001');
    const row = this.rows.get(id) ?? { key, bucket, counts: {} };
    for (const [counter, value] of Object.entries(counts) as [StatCounter, number][]) {
      row.counts[counter] = (row.counts[counter] ?? 0) + value;
    }
    this.rows.set(id, row);
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * Adds the counts to `referral_stats` in one upsert. Rows are written in key order, so two
   * transactions bumping the same rows lock them in the same order and cannot deadlock. Counts of
   * a referral gone meanwhile (its bot deleted) are left out rather than failing the write.
   */
  async write(manager: EntityManager): Promise<void> {
    if (this.rows.size === 0) return;
    const rows = [...this.rows.values()].sort((a, b) =>
      compare(
        [a.key.referralId, a.bucket.getTime(), a.key.source, a.key.channel, a.key.adId],
        [b.key.referralId, b.bucket.getTime(), b.key.source, b.key.channel, b.key.adId],
      ),
    );
    const counters = STAT_COUNTERS.map((counter) => rows.map((row) => row.counts[counter] ?? 0));
    const columns = COUNTER_COLUMNS.join(', ');
    const typed = COUNTER_COLUMNS.map((_, i) => `$${i + 7}::int[]`).join(', ');
    await prepared(
      manager,
      'referral_stats_bump',
      `INSERT INTO referral_stats (referral_id, bot_id, bucket, source, channel, ad_id, ${columns})
       SELECT u.* FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::varchar[], $5::varchar[],
                              $6::varchar[], ${typed})
              AS u(referral_id, bot_id, bucket, source, channel, ad_id, ${columns})
         JOIN referrals r ON r.id = u.referral_id
       ON CONFLICT (referral_id, bucket, source, channel, ad_id) DO UPDATE SET
       ${COUNTER_COLUMNS.map((c) => `${c} = referral_stats.${c} + EXCLUDED.${c}`).join(', ')}`,
      [
        rows.map((row) => row.key.referralId),
        rows.map((row) => row.key.botId),
        rows.map((row) => row.bucket),
        rows.map((row) => row.key.source),
        rows.map((row) => row.key.channel),
        rows.map((row) => row.key.adId),
        ...counters,
      ],
    );
  }
}

function compare(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}
