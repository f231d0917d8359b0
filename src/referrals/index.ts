export { ReferralsModule } from './referrals.module';
export { ReferralsService } from './referrals.service';
export { type Resolution, type ResolveInput } from './referral-resolution';
