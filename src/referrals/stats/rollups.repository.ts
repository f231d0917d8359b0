import { type EntityManager } from 'typeorm';
import { prepared } from '../../database';
import { STAT_COUNTERS, type StatCounter } from '../entities/referral-stat.entity';

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

/** One rollup row's increments: a referral's 15-minute bucket and its dimensions. */
export interface RollupIncrement {
  referralId: string;
  botId: string;
  bucket: Date;
  source: string;
  channel: string;
  adId: string;
  counts: Partial<Record<StatCounter, number>>;
}

/**
 * Adds the counts to `referral_stats` in one upsert (named and prepared: with every entry, answer,
 * receipt and click batch), rows locked in the order given: ORDER BY, since a hash join with
 * `referrals` emits them in that table's order, which deadlocked with answersSentCtes (key
 * order). Counts of a referral gone meanwhile (its bot deleted) are left out rather than failing
 * the write.
 */
export async function bumpReferralStats(
  manager: EntityManager,
  rows: RollupIncrement[],
): Promise<void> {
  const counters = STAT_COUNTERS.map((counter) => rows.map((row) => row.counts[counter] ?? 0));
  const columns = COUNTER_COLUMNS.join(', ');
  const typed = COUNTER_COLUMNS.map((_, i) => `$${i + 7}::int[]`).join(', ');
  await prepared(
    manager,
    'referral_stats_bump',
    `INSERT INTO referral_stats (referral_id, bot_id, bucket, source, channel, ad_id, ${columns})
     SELECT u.referral_id, u.bot_id, u.bucket, u.source, u.channel, u.ad_id, ${COUNTER_COLUMNS.map((c) => `u.${c}`).join(', ')}
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::varchar[], $5::varchar[],
                   $6::varchar[], ${typed}) WITH ORDINALITY
            AS u(referral_id, bot_id, bucket, source, channel, ad_id, ${columns}, ord)
       JOIN referrals r ON r.id = u.referral_id
      ORDER BY u.ord
     ON CONFLICT (referral_id, bucket, source, channel, ad_id) DO UPDATE SET
     ${COUNTER_COLUMNS.map((c) => `${c} = referral_stats.${c} + EXCLUDED.${c}`).join(', ')}`,
    [
      rows.map((row) => row.referralId),
      rows.map((row) => row.botId),
      rows.map((row) => row.bucket),
      rows.map((row) => row.source),
      rows.map((row) => row.channel),
      rows.map((row) => row.adId),
      ...counters,
    ],
  );
}
