import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsObject, IsString } from 'class-validator';
import { trimString } from '../../common/http/transforms';
import { CharLength } from '../../common/validation/char-length';
import { HandoverModuleConfigDto } from './handover-module-config.dto';
import { MessageModuleConfigDto } from './message-module-config.dto';

export const MODULE_CONFIG_SCHEMA = {
  description:
    'Configuration of the module type: `message` takes `{ content }`, `handover` takes `{ content?, note? }`.',
  oneOf: [
    { $ref: getSchemaPath(MessageModuleConfigDto) },
    { $ref: getSchemaPath(HandoverModuleConfigDto) },
  ],
};

export class CreateModuleDto {
  /** 1-100 characters, trimmed. */
  @Transform(trimString)
  @IsString()
  @CharLength(1, 100)
  name!: string;

  /** A registered module type: `message` or `handover`. */
  @IsString()
  @CharLength(1, 50)
  type!: string;

  @ApiProperty(MODULE_CONFIG_SCHEMA)
  @IsObject()
  config!: Record<string, unknown>;
}
