import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, ValidateIf } from 'class-validator';
import { IsOptionalNonNull, lowerCaseId, trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator/dto/content.dto';

export class UpdateBotDto {
  @IsOptionalNonNull()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name?: string;

  /** The answer when no referral applies: Get Started without a ref, an unknown or inactive ref. */
  @IsOptionalNonNull()
  @NestedObject(() => ContentDto)
  welcome?: ContentDto;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Module instance answering ordinary messages; null to leave them unanswered.',
  })
  @ValidateIf((_dto, value) => value !== null)
  @IsOptional()
  @Transform(lowerCaseId)
  @IsUUID('all')
  fallbackModuleId?: string | null;
}
