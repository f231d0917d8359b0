import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  ValidateIf,
} from 'class-validator';
import { IsOptionalNonNull, lowerCaseId, trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { NestedObject } from '../../common/validation/nested-object';
import { ContentDto } from '../../creator';

export class UpdateWidgetSettingsDto {
  /**
   * Origins (scheme://host[:port], no path) allowed to call the widget's Chat API from their pages;
   * empty allows any site. The hosted chat page is always allowed.
   */
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, {
    each: true,
    message: 'each origin must be scheme://host[:port] in lower case, without a path',
  })
  allowedOrigins!: string[];
}

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

  /** The website widget's settings. */
  @IsOptionalNonNull()
  @NestedObject(() => UpdateWidgetSettingsDto)
  widget?: UpdateWidgetSettingsDto;
}
