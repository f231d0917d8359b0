import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots/bots.module';
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

@Module({
  imports: [
    TypeOrmModule.forFeature([Referral, ReferralEntry]),
    BotsModule,
    ContactsModule,
    SegmentsModule,
    ModulesModule,
  ],
  controllers: [ReferralsController, ContactsController],
  providers: [ReferralsService, ReferralResolution, ContactViewService],
  exports: [ReferralsService],
})
export class ReferralsModule {}
