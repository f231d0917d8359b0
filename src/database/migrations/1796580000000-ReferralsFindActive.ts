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
 * connection serves every caller, whatever their settings, so it sets its own: no sequential scan
 * where the index serves, or a generic plan made while the table was small would scan it whole
 * once it has grown (as the batch's own statements do, see 1796570000000-InboxLockPending).
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
            JOIN referrals r ON r.bot_id = k.bot_id AND lower(r.tracking_param) = lower(k.param)
           WHERE r.active AND r.deleted_at IS NULL
        );
      END
      $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION referrals_find_active(uuid[], text[])`);
  }
}
