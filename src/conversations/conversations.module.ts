import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { CreatorModule } from '../creator';
import { ModulesModule } from '../modules';
import { ReferralsModule } from '../referrals';
import { SegmentsModule } from '../segments';
import { BulkSendRepository } from './bulk-send.repository';
import { BulkSendService } from './bulk-send.service';
import { ContactMergeRepository } from './contact-merge.repository';
import { ContactMergeService } from './contact-merge.service';
import { ConversationRelease } from './conversation-release';
import { ConversationsQueryRepository } from './conversations-query.repository';
import { ConversationsQueryService } from './conversations-query.service';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { Dispatcher } from './dispatcher';
import { Conversation } from './entities/conversation.entity';
import { Message } from './entities/message.entity';
import { Reply } from './entities/reply.entity';
import { OutboundRepository } from './outbound.repository';
import { OutboundService } from './outbound.service';
import { RenderReply } from './render-reply';
import { SendClaims } from './send-claims';
import { SentMarks } from './sent-marks';
import { StoreReplies } from './store-replies';
import { UpdateConversationState } from './update-conversation-state';
import { SenderRegistry } from './senders/channel-sender';

@Module({
  imports: [
    TypeOrmModule.forFeature([Conversation, Message, Reply]),
    DiscoveryModule,
    BotsModule,
    ContactsModule,
    CreatorModule,
    ModulesModule,
    ReferralsModule,
    SegmentsModule,
  ],
  providers: [
    BulkSendService,
    BulkSendRepository,
    ConversationsService,
    ConversationsRepository,
    ContactMergeService,
    ContactMergeRepository,
    ConversationsQueryService,
    ConversationsQueryRepository,
    ConversationRelease,
    Dispatcher,
    RenderReply,
    StoreReplies,
    UpdateConversationState,
    OutboundService,
    OutboundRepository,
    SendClaims,
    SentMarks,
    SenderRegistry,
  ],
  // OutboundService and OutboundRepository (the reply sweeper's statement) for
  // ConversationsWorkersModule; the query service and release for ConversationsHttpModule.
  exports: [
    BulkSendService,
    ConversationsService,
    ContactMergeService,
    OutboundService,
    OutboundRepository,
    SentMarks,
    ConversationsQueryService,
    ConversationRelease,
  ],
})
export class ConversationsModule {}
