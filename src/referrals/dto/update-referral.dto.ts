import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, IsUUID, ValidateIf } from 'class-validator';
import { IsOptionalNonNull, lowerCaseId, trimString } from '../../common/http/transforms';
import { CharLength, MaxChars } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';
import { ANSWER_TYPES, type AnswerType } from '../entities/referral.entity';
import { IsTrackingParam } from './create-referral.dto';

/**
 * Every field is optional; the result must still be consistent (`content` with `message`, `moduleId`
 * with `module`). Switching answerType clears the field of the other type.
 */
export class UpdateReferralDto {
  /**
   * Changing it breaks links that carry the old value: they then get the bot's default welcome and
   * their entries are recorded as unknown refs.
   */
  @IsOptionalNonNull()
  @IsTrackingParam()
  trackingParam?: string;

  @IsOptionalNonNull()
  @IsIn(ANSWER_TYPES)
  answerType?: AnswerType;

  @IsOptionalNonNull()
  @NestedObject(() => ContentDto)
  content?: ContentDto;

  @IsOptionalNonNull()
  @Transform(lowerCaseId)
  @IsUUID('all')
  moduleId?: string;

  /** Later entries join this segment; existing members stay where they are. */
  @IsOptionalNonNull()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  segmentName?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @ValidateIf((_dto, value) => value !== null)
  @IsOptional()
  @Transform(trimString)
  @IsString()
  @MaxChars(500)
  description?: string | null;

  @IsOptionalNonNull()
  @IsBoolean()
  active?: boolean;
}
