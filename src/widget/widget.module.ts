import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { WidgetMessage } from './entities/widget-message.entity';
import { WidgetSession } from './entities/widget-session.entity';
import { WidgetController } from './widget.controller';
import { WidgetPageController } from './widget-page.controller';
import { WidgetPageService } from './widget-page.service';
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
  controllers: [WidgetController, WidgetPageController],
  exports: [WidgetService],
  providers: [
    WidgetPageService,
    WidgetRateGuard,
    WidgetRepository,
    WidgetService,
    WidgetSender,
    WidgetStreams,
    WidgetSse,
  ],
})
export class WidgetModule {}
