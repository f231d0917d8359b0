import { type EntityManager } from 'typeorm';
import { prepared } from '../../database';
import { type Click } from './click-recorder';

/**
 * Claims a click batch's id in the transaction writing it: false when the batch is stored already
 * (a COMMIT that went through unacknowledged), so a retried batch is not counted twice.
 */
export async function claimClickBatch(tx: EntityManager, id: string): Promise<boolean> {
  const claimed = await prepared<{ id: string }[]>(
    tx,
    'referral_click_batches_claim',
    `INSERT INTO referral_click_batches (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id`,
    [id],
  );
  return claimed.length > 0;
}

/**
 * Stores raw clicks. Clicks of a bot or referral deleted meanwhile are dropped by the joins rather
 * than failing the batch on a foreign key; the join on `bots` reads the bots module's table for
 * that alone (the foreign key's own check, in the same statement).
 */
export async function insertClicks(tx: EntityManager, clicks: Click[]): Promise<void> {
  await prepared(
    tx,
    'referral_clicks_insert',
    `INSERT INTO referral_clicks (bot_id, referral_id, tracking_param, clicked_at, clicker, is_bot, target)
     SELECT c.bot_id, r.id, c.tracking_param, c.clicked_at, c.clicker, c.is_bot, c.target
       FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::timestamptz[], $5::bytea[], $6::boolean[],
                   $7::varchar[]) AS c(bot_id, referral_id, tracking_param, clicked_at, clicker, is_bot, target)
       JOIN bots b ON b.id = c.bot_id
       LEFT JOIN referrals r ON r.id = c.referral_id AND r.bot_id = c.bot_id`,
    [
      clicks.map((c) => c.botId),
      clicks.map((c) => c.referralId),
      clicks.map((c) => c.trackingParam.slice(0, 100)),
      clicks.map((c) => c.clickedAt),
      clicks.map((c) => c.clicker),
      clicks.map((c) => c.isBot),
      clicks.map((c) => c.target),
    ],
  );
}

/**
 * Records each (referral, clicker) pair's first click, pairs in key order; returns the pairs seen
 * for the first time (unique clicks). Pairs of a referral deleted meanwhile are dropped.
 */
export function insertFirstClickers(
  tx: EntityManager,
  firsts: Pick<Click, 'referralId' | 'clicker' | 'clickedAt'>[],
): Promise<{ referral_id: string; clicker: Buffer }[]> {
  return prepared(
    tx,
    'referral_clickers_first',
    `INSERT INTO referral_clickers (referral_id, clicker, first_clicked_at)
     SELECT c.referral_id, c.clicker, c.clicked_at
       FROM unnest($1::uuid[], $2::bytea[], $3::timestamptz[]) AS c(referral_id, clicker, clicked_at)
       JOIN referrals r ON r.id = c.referral_id
     ON CONFLICT (referral_id, clicker) DO NOTHING
     RETURNING referral_id, clicker`,
    [firsts.map((c) => c.referralId), firsts.map((c) => c.clicker), firsts.map((c) => c.clickedAt)],
  );
}
