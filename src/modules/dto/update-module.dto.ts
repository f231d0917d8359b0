import { Transform } from 'class-transformer';
import { IsObject, IsString } from 'class-validator';
import { IsOptionalNonNull, trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { ApiModuleConfig } from '../module-config.schema';

/** The type of an instance cannot change; create another instance instead. */
export class UpdateModuleDto {
  @IsOptionalNonNull()
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name?: string;

  @ApiModuleConfig({ required: false })
  @IsOptionalNonNull()
  @IsObject()
  config?: Record<string, unknown>;
}
