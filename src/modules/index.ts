export { MODULE_CONFIG_SCHEMA, moduleConfigSchema } from './module-config.schema';
export {
  type ModuleAnswer,
  type ModuleInstanceView,
  ModuleType,
  type ModuleTypeHandler,
} from './module-type';
export { ModuleTypeRegistry } from './module-type.registry';
export { type ModuleUsage } from './modules.errors';
export { ModulesModule } from './modules.module';
export { ModulesHttpModule } from './modules-http.module';
export { ModulesService, type ModuleRef, ModuleUsageFinder } from './modules.service';
export { ModuleInstance } from './entities/module-instance.entity';
