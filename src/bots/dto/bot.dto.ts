import { ApiProperty } from '@nestjs/swagger';
import { ContentDto } from '../../creator';

export class MessengerChannelDto {
  pageId!: string;

  @ApiProperty({ type: String, nullable: true })
  pageUsername!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Where handover modules without their own targetAppId pass the thread (Meta app id); null: the server default (the Page Inbox unless configured).',
  })
  handoverAppId!: string | null;

  connectedAt!: Date;
}

export class WidgetChannelDto {
  /** Public key of the website widget and hosted chat page. */
  widgetKey!: string;

  /** Origins allowed to call the Chat API from their pages; empty allows any site. */
  allowedOrigins!: string[];
}

export class BotChannelsDto {
  @ApiProperty({
    type: MessengerChannelDto,
    nullable: true,
    description: 'Null until a Facebook Page is connected.',
  })
  messenger!: MessengerChannelDto | null;

  widget!: WidgetChannelDto;
}

export class BotDto {
  id!: string;
  name!: string;
  channels!: BotChannelsDto;

  /** The answer when no referral applies. */
  welcome!: ContentDto;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Module answering ordinary messages.',
  })
  fallbackModuleId!: string | null;

  createdAt!: Date;
  updatedAt!: Date;
}
