import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { type ReceiptKind } from '../../conversations';

const REF_MAX = 255;
const URL_MAX = 2000;

export class WidgetStartSessionDto {
  /** A token this API gave earlier: resumes that session (the same contact). Unknown: a new one. */
  @IsOptional()
  @IsString()
  @CharLength(1, 200)
  token?: string;

  /** A tracking parameter from the hosted page URL (`?ref=`) or the host page's `bp_ref`. */
  @IsOptional()
  @IsString()
  @CharLength(1, REF_MAX)
  ref?: string;

  /** The page the visitor is on; recorded as the entry's referer. */
  @IsOptional()
  @IsString()
  @MaxLength(URL_MAX)
  pageUrl?: string;
}

export class WidgetSessionDto {
  /** Keep it (e.g. localStorage) and send it as `X-Widget-Session`; shown at every start. */
  token!: string;

  /** True when the token given was unknown or absent and a new visitor was made. */
  created!: boolean;

  /** The newest message id before this call: read the stream or poll after it. */
  cursor!: string;
}

export class WidgetReferralDto {
  /** The tracking parameter, as `BotWidget.referral(trackingParam)` got it. */
  @IsString()
  @CharLength(1, REF_MAX)
  ref!: string;

  @IsOptional()
  @IsString()
  @MaxLength(URL_MAX)
  pageUrl?: string;
}

export const INBOUND_TYPES = ['text', 'quickReply', 'postback'] as const;

export class WidgetSendMessageDto {
  /** `text` typed by the visitor; `quickReply` a chip tap; `postback` a button tap. */
  @ApiProperty({ enum: INBOUND_TYPES })
  @IsIn(INBOUND_TYPES)
  type!: (typeof INBOUND_TYPES)[number];

  /** The text typed (type `text`), or the tapped chip's or button's title. */
  @ApiPropertyOptional({ maxLength: 2000 })
  @ValidateIf((dto: WidgetSendMessageDto) => dto.type === 'text' || dto.text !== undefined)
  @IsString()
  @CharLength(1, 2000)
  text?: string;

  /** The payload of the tapped chip or button, as the bot's message gave it. */
  @ApiPropertyOptional({ maxLength: 1000 })
  @ValidateIf((dto: WidgetSendMessageDto) => dto.type !== 'text' || dto.payload !== undefined)
  @IsString()
  @CharLength(1, 1000)
  payload?: string;
}

export class WidgetIdentifyDto {
  @IsOptional()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  firstName?: string;

  @IsOptional()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  lastName?: string;

  /** The site's own id for the visitor (its user id), kept with the session. */
  @IsOptional()
  @IsString()
  @CharLength(1, 255)
  externalId?: string;
}

/** The receipt event kinds (conversations' `ReceiptKind`), as the Chat API accepts them. */
export const RECEIPT_KINDS: readonly ReceiptKind[] = ['delivered', 'read'];

export class WidgetReceiptDto {
  /**
   * `delivered`: the bot's messages up to `watermark` were shown in the chat; `read`: the chat was
   * visible with them (a read implies delivery).
   */
  @ApiProperty({ enum: RECEIPT_KINDS })
  @IsIn(RECEIPT_KINDS)
  kind!: ReceiptKind;

  /** The id of the newest message covered (a message id of this visitor, as the stream gave it). */
  @ApiProperty({ pattern: '^\\d{1,18}$', example: '42' })
  @IsString()
  @Matches(/^\d{1,18}$/)
  watermark!: string;
}

export class WidgetMessagesQueryDto {
  /** Messages after this id (a `cursor` or an event id); `0` for all. */
  @IsOptional()
  @Matches(/^\d{1,18}$/)
  after?: string;
}

export class WidgetMessageDto {
  /** Event id and cursor. */
  id!: string;

  @ApiProperty({
    description:
      'The rendered message: `{type:"text",text}`, `{type:"image",url}`, ' +
      '`{type:"buttons",text,buttons:[{type:"url",title,url}|{type:"postback",title,payload}]}`, ' +
      '`{type:"quickReplies",text,replies:[{title,payload}]}`.',
    type: 'object',
    additionalProperties: true,
  })
  message!: Record<string, unknown>;

  sentAt!: string;
}

export class WidgetMessagesDto {
  @ApiProperty({ type: [WidgetMessageDto] })
  messages!: WidgetMessageDto[];

  /** Pass as `after` next time. */
  cursor!: string;
}

export class WidgetAcceptedDto {
  /** The event was handled; the bot's answer arrives on the stream. */
  accepted!: boolean;
}
