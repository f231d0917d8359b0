import { Module } from '@nestjs/common';
import { ReferralPartitionsTask } from './partitions.task';

/**
 * Referrals' maintenance task (monthly partitions ahead, old clicker hashes out). Only processes
 * whose PROCESS_ROLE runs workers import it (`AppModule.forRoot`).
 */
@Module({
  providers: [ReferralPartitionsTask],
})
export class ReferralsWorkersModule {}
