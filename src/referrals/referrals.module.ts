import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ModulesModule } from '../modules';
import { SegmentsModule } from '../segments';
import { ContactViewService } from './contact-view.service';
import { ReferralEntry } from './entities/referral-entry.entity';
import { EntryIds } from './entry-ids';
import { Referral } from './entities/referral.entity';
import { ReferralResolution } from './referral-resolution';
import { ReferralsService } from './referrals.service';
import { FunnelRecorder } from './stats/funnel-recorder';
import { ReferralStatsRepository } from './stats/referral-stats.repository';
import { ReferralStatsService } from './stats/referral-stats.service';
import { StatsRanges } from './stats/stats-range';
import { ClickRecorder } from './tracked-links/click-recorder';
import { LinkTargets } from './tracked-links/link-targets';
import { TrackedLinksService } from './tracked-links/tracked-links.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Referral, ReferralEntry]),
    BotsModule,
    ContactsModule,
    SegmentsModule,
    ModulesModule,
  ],
  providers: [
    ReferralsService,
    ReferralResolution,
    EntryIds,
    ContactViewService,
    FunnelRecorder,
    LinkTargets,
    ClickRecorder,
    TrackedLinksService,
    ReferralStatsService,
    ReferralStatsRepository,
    StatsRanges,
  ],
  // The rest for ReferralsHttpModule's controllers.
  exports: [ReferralsService, ContactViewService, TrackedLinksService, ReferralStatsService],
})
export class ReferralsModule {}
