import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
} from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';
import { BROADCAST_TAGS, type BroadcastTag } from '../messaging-policy';

const MAX_SEGMENTS = 50;

/**
 * Who a broadcast reaches: members of any `include` segment who are also in every `intersect`
 * segment and in no `exclude` segment.
 */
export class AudienceDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: MAX_SEGMENTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_SEGMENTS)
  @IsUUID('all', { each: true })
  include!: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_SEGMENTS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SEGMENTS)
  @IsUUID('all', { each: true })
  intersect?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: MAX_SEGMENTS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_SEGMENTS)
  @IsUUID('all', { each: true })
  exclude?: string[];
}

export class PreviewBroadcastDto {
  @IsDefined()
  @NestedObject(() => AudienceDto)
  audience!: AudienceDto;

  /** As in a broadcast: decides who outside the 24-hour window counts as reachable. */
  @ApiPropertyOptional({ enum: BROADCAST_TAGS })
  @IsOptional()
  @IsIn(BROADCAST_TAGS, {
    message: `messageTag must be one of ${BROADCAST_TAGS.join(', ')} (HUMAN_AGENT is for agents' replies, not broadcasts)`,
  })
  messageTag?: BroadcastTag;

  /** As in a broadcast: subscribers of this marketing-messages topic count as reachable. */
  @IsOptional()
  @IsString()
  @CharLength(1, 1000)
  notificationTopic?: string;
}

export class CreateBroadcastDto extends PreviewBroadcastDto {
  /** 1-200 characters, trimmed. */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 200)
  name!: string;

  /** Creator content, personalised per recipient (`{{contact.firstName|you}}`). */
  @IsDefined()
  @NestedObject(() => ContentDto)
  content!: ContentDto;

  /** ISO 8601 with a time zone; in the future: the broadcast waits as `scheduled`. */
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  sendAt?: string;
}
