import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots/bots.module';
import { ContactsModule } from '../contacts';
import { ModulesModule } from '../modules';
import { SegmentsModule } from '../segments';
import { ReferralEntry } from './entities/referral-entry.entity';
import { Referral } from './entities/referral.entity';
import { ReferralResolution } from './referral-resolution';
import { ReferralsController } from './referrals.controller';
import { ReferralsService } from './referrals.service';
import { FunnelRecorder } from './stats/funnel-recorder';
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
  controllers: [ReferralsController, TrackedLinksController],
  providers: [
    ReferralsService,
    ReferralResolution,
    FunnelRecorder,
    LinkTargets,
    ClickRecorder,
    TrackedLinksService,
  ],
  exports: [ReferralsService],
})
export class ReferralsModule {}
