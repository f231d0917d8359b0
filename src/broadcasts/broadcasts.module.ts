import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { SegmentsModule } from '../segments';
import { BroadcastReceipts } from './broadcast-receipts';
import { BroadcastRunner } from './broadcast-runner';
import { BroadcastsRepository } from './broadcasts.repository';
import { BroadcastsService } from './broadcasts.service';
import { ContactFactsLoader } from './contact-facts';
import { BroadcastRecipient } from './entities/broadcast-recipient.entity';
import { Broadcast } from './entities/broadcast.entity';
import { UnreachableContact } from './entities/unreachable-contact.entity';

/** Broadcasts: Creator content sent once to an audience of segments, within Meta's rules. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Broadcast, BroadcastRecipient, UnreachableContact]),
    BotsModule,
    ContactsModule,
    ConversationsModule,
    SegmentsModule,
  ],
  providers: [
    BroadcastsService,
    BroadcastsRepository,
    BroadcastRunner,
    BroadcastReceipts,
    ContactFactsLoader,
  ],
  // BroadcastsRepository and BroadcastRunner for BroadcastsWorkersModule.
  exports: [BroadcastsService, BroadcastsRepository, BroadcastRunner],
})
export class BroadcastsModule {}
