import { Module } from '@nestjs/common';
import { BotsModule } from '../bots';
import { ContactsController } from './contacts.controller';
import { ReferralsController } from './referrals.controller';
import { ReferralStatsController } from './stats/referral-stats.controller';
import { TrackedLinksController } from './tracked-links/tracked-links.controller';
import { ReferralsModule } from './referrals.module';

/**
 * ReferralsModule's routes. Only a process whose PROCESS_ROLE serves HTTP imports it
 * (`AppModule.forRoot`), so a worker process builds no controller.
 */
@Module({
  // BotsModule for the `{botId}` parameter's pipe (BotIdParam).
  imports: [ReferralsModule, BotsModule],
  controllers: [
    ReferralStatsController,
    ReferralsController,
    TrackedLinksController,
    ContactsController,
  ],
})
export class ReferralsHttpModule {}
