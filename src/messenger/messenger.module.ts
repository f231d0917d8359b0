import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { InboxItem } from './entities/inbox-item.entity';
import { GraphApiClient } from './graph/graph-api.client';
import { SendRateLimiter } from './graph/send-rate-limiter';
import { InboxIds, InboxRepository } from './inbox.repository';
import { InboundInHand } from './inbound/in-hand';
import { MessengerInboundService } from './inbound/inbound.service';
import { IntakeRate } from './intake/intake-rate';
import { MessengerIntakeService } from './intake/messenger-intake.service';
import { MessengerSender } from './messenger.sender';
import { PageDirectory } from './page-directory';
import { ProfilePrefetch } from './inbound/profile-prefetch';

/** The Messenger channel: webhook intake, inbound handling, the Graph API client and sender. */
@Module({
  imports: [TypeOrmModule.forFeature([InboxItem]), BotsModule, ContactsModule, ConversationsModule],
  providers: [
    PageDirectory,
    InboxRepository,
    InboxIds,
    GraphApiClient,
    SendRateLimiter,
    MessengerSender,
    IntakeRate,
    MessengerIntakeService,
    MessengerInboundService,
    InboundInHand,
    ProfilePrefetch,
  ],
  // For MessengerWorkersModule (the inbox repository: its sweeper and purge) and
  // MessengerHttpModule.
  exports: [MessengerInboundService, MessengerIntakeService, InboxRepository, InboundInHand],
})
export class MessengerModule {}
