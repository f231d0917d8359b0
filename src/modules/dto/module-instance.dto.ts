import { ApiModuleConfig } from '../module-config.schema';

export class ModuleInstanceDto {
  id!: string;
  name!: string;
  type!: string;

  @ApiModuleConfig({ required: true })
  config!: Record<string, unknown>;

  createdAt!: Date;
  updatedAt!: Date;
}
