import { type EntityManager } from 'typeorm';
import { type StatCounter } from '../entities/referral-stat.entity';
import { bumpReferralStats } from './rollups.repository';

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
   * Adds the counts to `referral_stats` in one upsert (`bumpReferralStats`). Rows are written in
   * key order, so two transactions bumping the same rows lock them in the same order and cannot
   * deadlock.
   */
  async write(manager: EntityManager): Promise<void> {
    if (this.rows.size === 0) return;
    const rows = [...this.rows.values()].sort((a, b) =>
      compare(
        [a.key.referralId, a.bucket.getTime(), a.key.source, a.key.channel, a.key.adId],
        [b.key.referralId, b.bucket.getTime(), b.key.source, b.key.channel, b.key.adId],
      ),
    );
    await bumpReferralStats(
      manager,
      rows.map((row) => ({ ...row.key, bucket: row.bucket, counts: row.counts })),
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
