export { ReferralsModule } from './referrals.module';
export { ReferralsService } from './referrals.service';
