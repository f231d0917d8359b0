import { type EntityManager } from 'typeorm';
import { type Content } from '../creator';
import { memoInTransaction, prepared } from '../database';
import { type AnswerType } from './entities/referral.entity';

export interface ActiveReferral {
  id: string;
  botId: string;
  trackingParam: string;
  answerType: AnswerType;
  content: Content | null;
  moduleId: string | null;
  segmentId: string;
}

/**
 * The bot's live, active referral with this tracking param, compared case-insensitively (served by
 * the unique index on (bot_id, lower(tracking_param)) of live referrals). On every referral entry.
 */
export async function findActiveReferral(
  manager: EntityManager,
  botId: string,
  trackingParam: string,
): Promise<ActiveReferral | null> {
  // Case-insensitive param: the memo key is lower-cased like the lookup.
  return memoInTransaction(
    manager,
    `referral:${botId}:${trackingParam.toLowerCase()}`,
    async () => {
      const rows = await prepared<ActiveReferral[]>(
        manager,
        'referral_find_active',
        `SELECT id, bot_id AS "botId", tracking_param AS "trackingParam", answer_type AS "answerType", content,
              module_id AS "moduleId", segment_id AS "segmentId"
         FROM referrals
        WHERE bot_id = $1 AND lower(tracking_param) = lower($2) AND active AND deleted_at IS NULL`,
        [botId, trackingParam],
      );
      return rows[0] ?? null;
    },
  );
}
