import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { InboxItem } from './entities/inbox-item.entity';
import { GraphApiClient } from './graph/graph-api.client';
import { SendRateLimiter } from './graph/send-rate-limiter';
import { InboxPurgeTask } from './inbound/inbox-purge.task';
import { InboxSweeperTask } from './inbound/inbox-sweeper.task';
import { InboxRepository } from './inbox.repository';
import { MessengerInboundService } from './inbound/inbound.service';
import { MessengerInboundWorker } from './inbound/inbound.worker';
import { IntakeRate } from './intake/intake-rate';
import { MessengerIntakeService } from './intake/messenger-intake.service';
import { MessengerWebhookController } from './messenger-webhook.controller';
import { MessengerSender } from './messenger.sender';
import { PageDirectory } from './page-directory';

@Module({
  imports: [TypeOrmModule.forFeature([InboxItem]), BotsModule, ContactsModule, ConversationsModule],
  controllers: [MessengerWebhookController],
  providers: [
    PageDirectory,
    InboxRepository,
    GraphApiClient,
    SendRateLimiter,
    MessengerSender,
    IntakeRate,
    MessengerIntakeService,
    MessengerInboundService,
    MessengerInboundWorker,
    InboxSweeperTask,
    InboxPurgeTask,
  ],
})
export class MessengerModule {}
