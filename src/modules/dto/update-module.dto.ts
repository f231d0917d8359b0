import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsObject, IsString } from 'class-validator';
import { IsOptionalNonNull, trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { MODULE_CONFIG_SCHEMA } from './create-module.dto';

/** The type of an instance cannot change; create another instance instead. */
export class UpdateModuleDto {
  @IsOptionalNonNull()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name?: string;

  @ApiPropertyOptional(MODULE_CONFIG_SCHEMA)
  @IsOptionalNonNull()
  @IsObject()
  config?: Record<string, unknown>;
}
