import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsObject,
  IsString,
  IsUUID,
  ValidateNested,
} from 'class-validator';
import { lowerCaseId } from '../../common/http/transforms';
import { CharLength, MaxChars } from '../../common/validation/char-length';
import {
  BUTTON_TYPES,
  type ButtonsMessage,
  type Content,
  CONTENT_LIMITS as LIMITS,
  type ImageMessage,
  MESSAGE_TYPES,
  type ModuleButton,
  type QuickRepliesMessage,
  type QuickReply,
  type TextMessage,
  type UrlButton,
} from '../content/content.types';
import { HasNoPlaceholders, IsPersonalisedText } from '../personalisation';
import { IsHttpUrl, ToInstancesByType } from './content.validators';

/** `oneOf` the given schemas, told apart by their `type`. */
function oneOfByType(schemas: Record<string, new () => object>) {
  const refs = Object.fromEntries(
    Object.entries(schemas).map(([t, dto]) => [t, getSchemaPath(dto)]),
  );
  return {
    oneOf: Object.values(refs).map(($ref) => ({ $ref })),
    discriminator: { propertyName: 'type', mapping: refs },
  };
}

export class UrlButtonDto implements UrlButton {
  @ApiProperty({ enum: ['url'] })
  @IsIn(['url'])
  type!: 'url';

  /** 1-20 characters, no placeholders. */
  @IsString()
  @CharLength(1, LIMITS.titleMaxLength)
  @HasNoPlaceholders()
  title!: string;

  @ApiProperty({
    format: 'uri',
    example: 'https://example.com/offer',
    description: 'Opened in the browser: an absolute http or https URL, without placeholders.',
  })
  @IsString()
  @MaxChars(LIMITS.urlMaxLength)
  @IsHttpUrl()
  @HasNoPlaceholders()
  url!: string;
}

export class ModuleButtonDto implements ModuleButton {
  @ApiProperty({ enum: ['module'] })
  @IsIn(['module'])
  type!: 'module';

  /** 1-20 characters, no placeholders. */
  @IsString()
  @CharLength(1, LIMITS.titleMaxLength)
  @HasNoPlaceholders()
  title!: string;

  /** The module instance the button starts. */
  @ApiProperty({ format: 'uuid' })
  @Transform(lowerCaseId)
  @IsUUID('all')
  moduleId!: string;
}

export class QuickReplyDto implements QuickReply {
  /** 1-20 characters, no placeholders. */
  @IsString()
  @CharLength(1, LIMITS.titleMaxLength)
  @HasNoPlaceholders()
  title!: string;

  /** The module instance the reply starts. */
  @ApiProperty({ format: 'uuid' })
  @Transform(lowerCaseId)
  @IsUUID('all')
  moduleId!: string;
}

const PERSONALISED =
  'May use {{contact.firstName}}, {{contact.lastName}} and {{referral.trackingParam}}, ' +
  'with a fallback for missing values: {{contact.firstName|there}}.';

export class TextMessageDto implements TextMessage {
  @ApiProperty({ enum: ['text'] })
  @IsIn(['text'])
  type!: 'text';

  @ApiProperty({ description: PERSONALISED, example: 'Hi {{contact.firstName|there}}!' })
  @IsString()
  @CharLength(1, LIMITS.textMaxLength)
  @IsPersonalisedText()
  text!: string;
}

export class ImageMessageDto implements ImageMessage {
  @ApiProperty({ enum: ['image'] })
  @IsIn(['image'])
  type!: 'image';

  @ApiProperty({
    format: 'uri',
    example: 'https://example.com/welcome.png',
    description: 'An absolute http or https URL of the image, without placeholders.',
  })
  @IsString()
  @MaxChars(LIMITS.urlMaxLength)
  @IsHttpUrl()
  @HasNoPlaceholders()
  url!: string;
}

export type ContentButtonDto = UrlButtonDto | ModuleButtonDto;

/** Stands in for a button of an unknown `type`, only to reject it. */
class UnknownButtonDto {
  @IsIn(BUTTON_TYPES)
  type?: unknown;
}

@ApiExtraModels(UrlButtonDto, ModuleButtonDto)
export class ButtonsMessageDto implements ButtonsMessage {
  @ApiProperty({ enum: ['buttons'] })
  @IsIn(['buttons'])
  type!: 'buttons';

  /** Messenger's button template allows up to 640 characters here. */
  @ApiProperty({ description: PERSONALISED })
  @IsString()
  @CharLength(1, LIMITS.buttonsTextMaxLength)
  @IsPersonalisedText()
  text!: string;

  @ApiProperty({
    type: 'array',
    minItems: LIMITS.minButtons,
    maxItems: LIMITS.maxButtons,
    items: oneOfByType({ url: UrlButtonDto, module: ModuleButtonDto }),
  })
  @IsArray()
  @ArrayMinSize(LIMITS.minButtons)
  @ArrayMaxSize(LIMITS.maxButtons)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @ToInstancesByType({ url: UrlButtonDto, module: ModuleButtonDto }, UnknownButtonDto)
  buttons!: ContentButtonDto[];
}

export class QuickRepliesMessageDto implements QuickRepliesMessage {
  @ApiProperty({ enum: ['quickReplies'] })
  @IsIn(['quickReplies'])
  type!: 'quickReplies';

  @ApiProperty({ description: PERSONALISED })
  @IsString()
  @CharLength(1, LIMITS.textMaxLength)
  @IsPersonalisedText()
  text!: string;

  @ApiProperty({ type: [QuickReplyDto], minItems: LIMITS.minReplies, maxItems: LIMITS.maxReplies })
  @IsArray()
  @ArrayMinSize(LIMITS.minReplies)
  @ArrayMaxSize(LIMITS.maxReplies)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => QuickReplyDto)
  replies!: QuickReplyDto[];
}

export type ContentMessageDto =
  TextMessageDto | ImageMessageDto | ButtonsMessageDto | QuickRepliesMessageDto;

/** Stands in for a message of an unknown `type`, only to reject it. */
class UnknownMessageDto {
  @IsIn(MESSAGE_TYPES)
  type?: unknown;
}

const MESSAGE_DTOS = {
  text: TextMessageDto,
  image: ImageMessageDto,
  buttons: ButtonsMessageDto,
  quickReplies: QuickRepliesMessageDto,
} satisfies Record<(typeof MESSAGE_TYPES)[number], new () => ContentMessageDto>;

/** What a bot answers with: 1-10 messages, sent in order. Nest it with `@Type(() => ContentDto)`. */
@ApiExtraModels(TextMessageDto, ImageMessageDto, ButtonsMessageDto, QuickRepliesMessageDto)
export class ContentDto implements Content {
  @ApiProperty({
    type: 'array',
    minItems: LIMITS.minMessages,
    maxItems: LIMITS.maxMessages,
    items: oneOfByType(MESSAGE_DTOS),
  })
  @IsArray()
  @ArrayMinSize(LIMITS.minMessages)
  @ArrayMaxSize(LIMITS.maxMessages)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @ToInstancesByType(MESSAGE_DTOS, UnknownMessageDto)
  messages!: ContentMessageDto[];
}
