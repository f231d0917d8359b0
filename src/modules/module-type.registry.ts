import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { findPlugIns } from '../common/plug-ins';
import { ModuleType, type ModuleTypeHandler } from './module-type';

/** Every module type of the app, found at start-up among providers marked with @ModuleType(). */
@Injectable()
export class ModuleTypeRegistry implements OnModuleInit {
  private readonly handlers = new Map<string, ModuleTypeHandler>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const { metadata: type, instance } of findPlugIns<string, ModuleTypeHandler>(
      this.discovery,
      ModuleType,
    )) {
      if (this.handlers.has(type)) throw new Error(`Module type "${type}" is registered twice`);
      this.handlers.set(type, instance);
    }
  }

  get(type: string): ModuleTypeHandler | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Each type's config class, by type name in name order. */
  configClasses(): [string, Type<object>][] {
    return [...this.handlers]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, handler]) => [type, handler.configClass]);
  }
}
