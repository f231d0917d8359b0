import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BotsModule } from '../bots';
import { CreatorModule } from '../creator';
import { ModuleInstance } from './entities/module-instance.entity';
import { ModuleTypeRegistry } from './module-type.registry';
import { ModulesService } from './modules.service';
import { HandoverModuleType } from './types/handover.module-type';
import { MessageModuleType } from './types/message.module-type';

@Module({
  imports: [TypeOrmModule.forFeature([ModuleInstance]), DiscoveryModule, BotsModule, CreatorModule],
  providers: [ModulesService, ModuleTypeRegistry, MessageModuleType, HandoverModuleType],
  exports: [ModulesService],
})
export class ModulesModule {}
