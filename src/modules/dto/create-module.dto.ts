import { Transform } from 'class-transformer';
import { IsObject, IsString } from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { ApiModuleConfig } from '../module-config.schema';

export class CreateModuleDto {
  /** 1-100 characters, trimmed. */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name!: string;

  /** A registered module type (built in: `message`, `handover`); it decides the shape of `config`. */
  @IsString()
  @CharLength(1, 50)
  type!: string;

  @ApiModuleConfig({ required: true })
  @IsObject()
  config!: Record<string, unknown>;
}
