import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { SegmentMember } from './entities/segment-member.entity';
import { Segment } from './entities/segment.entity';
import { SegmentsService } from './segments.service';

@Module({
  imports: [TypeOrmModule.forFeature([Segment, SegmentMember]), BotsModule, ContactsModule],
  providers: [SegmentsService],
  exports: [SegmentsService],
})
export class SegmentsModule {}
