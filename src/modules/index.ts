export { type ModuleAnswer, ModuleType, type ModuleTypeHandler } from './module-type';
export { type ModuleUsage } from './modules.errors';
export { ModulesModule } from './modules.module';
export { ModulesService, type ModuleRef, type ModuleUsageFinder } from './modules.service';
