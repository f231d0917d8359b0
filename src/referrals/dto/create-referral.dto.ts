import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateIf,
} from 'class-validator';
import { lowerCaseId, trimString } from '../../common/http/transforms';
import { CharLength, MaxChars } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';
import { ANSWER_TYPES, type AnswerType } from '../entities/referral.entity';
import { BelongsToAnswerType } from './answer-fields';

export const TRACKING_PARAM = /^[A-Za-z0-9_=-]{1,100}$/;
export const TRACKING_PARAM_MESSAGE =
  'trackingParam must be 1-100 characters of letters, digits, "-", "_" or "="';

/** The tracking param's validation, and the same rule stated in OpenAPI (pattern and lengths). */
export const IsTrackingParam = (): PropertyDecorator =>
  applyDecorators(
    IsString(),
    Matches(TRACKING_PARAM, { message: TRACKING_PARAM_MESSAGE }),
    ApiProperty({ pattern: TRACKING_PARAM.source, minLength: 1, maxLength: 100 }),
  );

export class CreateReferralDto {
  /**
   * Identifies the referral in links (`m.me/<page>?ref=<trackingParam>`): 1-100 letters, digits, `-`, `_`
   * or `=`, unique per bot compared case-insensitively.
   */
  @IsTrackingParam()
  trackingParam!: string;

  /** `message`: reply with `content`; `module`: start the module instance `moduleId`. */
  @IsIn(ANSWER_TYPES)
  answerType!: AnswerType;

  /** Required when answerType is `message`, not allowed when it is `module`. */
  @ValidateIf(
    (dto: CreateReferralDto, value) => value !== undefined || dto.answerType === 'message',
  )
  @BelongsToAnswerType()
  @NestedObject(() => ContentDto)
  content?: ContentDto;

  /** Required when answerType is `module`, not allowed when it is `message`. */
  @ValidateIf((dto: CreateReferralDto, value) => value !== undefined || dto.answerType === 'module')
  @BelongsToAnswerType()
  @Transform(lowerCaseId)
  @IsUUID('all')
  moduleId?: string;

  /** Users entering through the link join this segment; created if the bot has none of that name. */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  segmentName!: string;

  @IsOptional()
  @Transform(trimString)
  @IsString()
  @MaxChars(500)
  description?: string;

  /** Inactive referrals answer with the bot's default welcome. Default true. */
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}
