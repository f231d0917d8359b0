export { ReferralsModule } from './referrals.module';
export { ReferralsHttpModule } from './referrals-http.module';
export { ReferralsWorkersModule } from './referrals-workers.module';
export {
  type ActiveReferral,
  activeReferralsExpr,
  activeReferralsValues,
  primeActiveReferrals,
  type ReferralLookup,
} from './referrals.repository';
export { ReferralsService } from './referrals.service';
export { type Resolution, type ResolveInput } from './referral-resolution';
export { type FunnelActivity, type ReferralTouch } from './stats/funnel-recorder';
export {
  type AnsweredEntry,
  type AnswerOfEntry,
  answersSentCtes,
  recordAnswersCte,
  recordAnswersValues,
} from './stats/answers.repository';
export { Referral } from './entities/referral.entity';
