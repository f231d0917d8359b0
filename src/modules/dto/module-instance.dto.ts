import { ApiExtraModels, ApiProperty } from '@nestjs/swagger';
import { MODULE_CONFIG_SCHEMA } from './create-module.dto';
import { HandoverModuleConfigDto } from './handover-module-config.dto';
import { MessageModuleConfigDto } from './message-module-config.dto';

@ApiExtraModels(MessageModuleConfigDto, HandoverModuleConfigDto)
export class ModuleInstanceDto {
  id!: string;
  name!: string;
  type!: string;

  @ApiProperty(MODULE_CONFIG_SCHEMA)
  config!: Record<string, unknown>;

  createdAt!: Date;
  updatedAt!: Date;
}
