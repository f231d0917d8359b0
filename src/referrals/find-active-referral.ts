import { type EntityManager } from 'typeorm';
import { Referral } from './entities/referral.entity';

/**
 * The bot's live, active referral with this tracking param, compared case-insensitively (served by
 * the unique index on (bot_id, lower(tracking_param)) of live referrals).
 */
export function findActiveReferral(
  manager: EntityManager,
  botId: string,
  trackingParam: string,
): Promise<Referral | null> {
  return manager
    .createQueryBuilder(Referral, 'r')
    .where('r.botId = :botId AND lower(r.trackingParam) = lower(:trackingParam) AND r.active', {
      botId,
      trackingParam,
    })
    .getOne();
}
