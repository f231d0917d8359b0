import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { ContactsModule } from '../contacts';
import { ConversationsModule } from '../conversations';
import { WidgetMessage } from './entities/widget-message.entity';
import { WidgetSession } from './entities/widget-session.entity';
import { WidgetRepository } from './widget.repository';
import { WidgetSender } from './widget.sender';
import { WidgetService } from './widget.service';
import { WidgetStreams } from './widget-streams';

/**
 * The website widget channel as every process needs it: sessions and messages, and the widget
 * sender with its publisher. What serves HTTP (the Chat API, the hosted page, the streams) is
 * WidgetHttpModule's.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([WidgetSession, WidgetMessage]),
    BotsModule,
    ContactsModule,
    ConversationsModule,
  ],
  // WidgetRepository for WidgetHttpModule.
  exports: [WidgetService, WidgetRepository],
  providers: [WidgetRepository, WidgetService, WidgetSender, WidgetStreams],
})
export class WidgetModule {}
