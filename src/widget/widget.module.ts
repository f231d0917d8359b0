import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots/bots.module';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { WidgetMessage } from './entities/widget-message.entity';
import { WidgetSession } from './entities/widget-session.entity';
import { WidgetController } from './widget.controller';
import { WidgetRepository } from './widget.repository';
import { WidgetSender } from './widget.sender';
import { WidgetService } from './widget.service';
import { WidgetSse } from './widget-sse';
import { WidgetStreams } from './widget-streams';
import { WidgetRateGuard } from './widget-rate.guard';

/** The website widget channel: the public Chat API, its sender, the hosted page and widget.js. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WidgetSession, WidgetMessage]),
    BotsModule,
    ContactsModule,
    ConversationsModule,
  ],
  controllers: [WidgetController],
  exports: [WidgetService],
  providers: [
    WidgetRateGuard,
    WidgetRepository,
    WidgetService,
    WidgetSender,
    WidgetStreams,
    WidgetSse,
  ],
})
export class WidgetModule {}
