import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `referrals_find_active(bot_ids, params)`: each (bot, tracking param) pair's live, active
 * referral, the param compared case-insensitively (the unique index on (bot_id,
 * lower(tracking_param)) of live referrals serves it and makes the match at most one row), as a
 * jsonb array of `{position, id, botId, trackingParam, answerType, content, moduleId, segmentId}`
 * (position: the pair's, from 1), pairs without one left out. The referrals module's one
 * definition of an active referral's look-up: its own statement (`findActiveReferrals`) calls it,
 * and it lends it to the Messenger inbound batch's first statement (`activeReferralsExpr`), which
 * also takes the contacts' locks, so a batch of referral entries reads its referrals without a
 * round trip of its own. PL/pgSQL, so that Postgres does not inline it into the caller's statement
 * (its query is planned once per connection, not with the caller's on every call); VOLATILE, so
 * that it reads when it runs, after the locks, as a statement of its own would. Its one plan per
 * connection serves every caller, whatever their settings, so it makes sure of its shape: one
 * probe of the index per lookup (a LATERAL subquery with LIMIT 1, which Postgres cannot turn into
 * a join: at most one live referral matches anyway), and no sequential scan (a plan made while
 * the table was small would otherwise scan it, or the whole index, for every batch once it has
 * grown; as the batch's own statements, see 1796570000000-InboxLockPending).
 */
export class ReferralsFindActive1796580000000 implements MigrationInterface {
  name = 'ReferralsFindActive1796580000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION referrals_find_active(bot_ids uuid[], params text[]) RETURNS jsonb
      LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $$
      BEGIN
        RETURN (
          SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'position', k.position, 'id', r.id, 'botId', r.bot_id,
                   'trackingParam', r.tracking_param, 'answerType', r.answer_type,
                   'content', r.content, 'moduleId', r.module_id, 'segmentId', r.segment_id)
                 ORDER BY k.position), '[]')
            FROM unnest(bot_ids, params) WITH ORDINALITY AS k(bot_id, param, position)
            CROSS JOIN LATERAL (
              SELECT * FROM referrals
               WHERE bot_id = k.bot_id AND lower(tracking_param) = lower(k.param)
                 AND deleted_at IS NULL AND active
               LIMIT 1
            ) r
        );
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION referrals_find_active(uuid[], text[])`);
  }
}
