import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ModulesModule } from '../modules';
import { SegmentsModule } from '../segments';
import { ContactViewService } from './contact-view.service';
import { ContactsController } from './contacts.controller';
import { ReferralEntry } from './entities/referral-entry.entity';
import { Referral } from './entities/referral.entity';
import { ReferralResolution } from './referral-resolution';
import { ReferralsController } from './referrals.controller';
import { ReferralsService } from './referrals.service';
import { FunnelRecorder } from './stats/funnel-recorder';
import { ReferralStatsController } from './stats/referral-stats.controller';
import { ReferralStatsRepository } from './stats/referral-stats.repository';
import { ReferralStatsService } from './stats/referral-stats.service';
import { StatsRanges } from './stats/stats-range';
import { ClickRecorder } from './tracked-links/click-recorder';
import { LinkTargets } from './tracked-links/link-targets';
import { TrackedLinksController } from './tracked-links/tracked-links.controller';
import { TrackedLinksService } from './tracked-links/tracked-links.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Referral, ReferralEntry]),
    BotsModule,
    ContactsModule,
    SegmentsModule,
    ModulesModule,
  ],
  controllers: [
    ReferralStatsController,
    ReferralsController,
    TrackedLinksController,
    ContactsController,
  ],
  providers: [
    ReferralsService,
    ReferralResolution,
    ContactViewService,
    FunnelRecorder,
    LinkTargets,
    ClickRecorder,
    TrackedLinksService,
    ReferralStatsService,
    ReferralStatsRepository,
    StatsRanges,
  ],
  exports: [ReferralsService],
})
export class ReferralsModule {}
