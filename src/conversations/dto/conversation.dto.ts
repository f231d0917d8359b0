import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ConversationDto {
  id!: string;
  contactId!: string;
  /** `messenger` or `widget`. */
  channel!: string;
  startedAt!: Date;
  /** The contact's latest message; the 24-hour messaging window runs from here. */
  lastInboundAt!: Date;
  /** While true a human agent has the conversation and the bot answers nothing. */
  handedOver!: boolean;

  @ApiProperty({ type: Date, nullable: true })
  handedOverAt!: Date | null;

  @ApiProperty({ type: String, nullable: true })
  handoverNote!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  firstReferralId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  lastReferralId!: string | null;
}

export class ListConversationsQueryDto extends PageQueryDto {
  /** Only conversations a human agent has (true) or the bot has (false). */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  )
  @IsBoolean()
  handedOver?: boolean;
}

export class MessageDto {
  id!: string;

  @ApiProperty({ enum: ['in', 'out'] })
  direction!: string;

  /**
   * Inbound: the event kind (`messages.event_kind`: `referral`, `postback`, `quickReply`, `text`,
   * `attachment`, `threadControl` when the channel reported a change of thread owner, `other`).
   * Outbound: the content type (`messages.content_type`: the Creator's message type, or
   * `thread_control` for handing the thread to an agent's app or taking it back).
   */
  kind!: string;

  @ApiProperty({ type: String, nullable: true })
  text!: string | null;

  @ApiProperty({ enum: ['received', 'pending', 'sending', 'sent', 'failed', 'skipped'] })
  status!: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "The channel's error code of a failed send.",
  })
  errorCode!: number | null;

  @ApiProperty({ type: String, nullable: true })
  errorMessage!: string | null;

  occurredAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  sentAt!: Date | null;
}
