import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AnswerSettingsCheck, type BotAnswerSettings, BotsService } from '../bots';
import { findPlugIns } from '../common/plug-ins';
import { validateAs } from '../common/http/validate-dto';
import { memoInTransaction } from '../database';
import { decodeCursor, type Page, toPage } from '../common/pagination';
import { type Content, CreatorService } from '../creator';
import { type CreateModuleDto } from './dto/create-module.dto';
import { type ListModulesQueryDto } from './dto/list-modules-query.dto';
import { type ModuleInstanceDto } from './dto/module-instance.dto';
import { type UpdateModuleDto } from './dto/update-module.dto';
import { ModuleInstance } from './entities/module-instance.entity';
import { type ModuleAnswer, type ModuleTypeHandler } from './module-type';
import { ModuleTypeRegistry } from './module-type.registry';
import { ModuleErrors, type ModuleUsage } from './modules.errors';
import {
  instancesLinkingTo,
  instanceView,
  lockInstances,
  pageOfInstances,
} from './modules.repository';

/** A place in a request body that points at a module instance. */
export interface ModuleRef {
  field: string;
  moduleId: string;
}

/**
 * Marks a provider of a higher module that can say what of it uses a module instance (referrals):
 * `@ModuleUsageFinder()` on a class implementing `ModuleUsageFinder`. ModulesService asks every one
 * before deleting an instance, so modules never imports the modules above it.
 */
export const ModuleUsageFinder = DiscoveryService.createDecorator<void>();

/** What a module usage finder answers: the uses of `moduleId` in bot `botId`, read in `tx`. */
export interface ModuleUsageFinder {
  moduleUsages(botId: string, moduleId: string, tx: EntityManager): Promise<ModuleUsage[]>;
}

function toDto(instance: ModuleInstance): ModuleInstanceDto {
  const { id, name, type, config, createdAt, updatedAt } = instance;
  return { id, name, type, config, createdAt, updatedAt };
}

@Injectable()
@AnswerSettingsCheck()
export class ModulesService implements OnModuleInit, AnswerSettingsCheck {
  private usageFinders: ModuleUsageFinder[] = [];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: ModuleTypeRegistry,
    private readonly creator: CreatorService,
    private readonly bots: BotsService,
    private readonly discovery: DiscoveryService,
  ) {}

  onModuleInit(): void {
    this.usageFinders = findPlugIns<void, ModuleUsageFinder>(this.discovery, ModuleUsageFinder).map(
      (finder) => finder.instance,
    );
  }

  async create(botId: string, dto: CreateModuleDto): Promise<ModuleInstanceDto> {
    const handler = this.handler(dto.type);
    const config = await validateAs(handler.configClass, dto.config, 'config');
    return this.dataSource.transaction(async (tx) => {
      await this.lockReferences(botId, this.configRefs(handler, config), tx);
      const saved = await tx.save(
        tx.create(ModuleInstance, { botId, name: dto.name, type: dto.type, config }),
      );
      return toDto(saved);
    });
  }

  async list(botId: string, query: ListModulesQueryDto): Promise<Page<ModuleInstanceDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await pageOfInstances(
      this.dataSource.manager,
      botId,
      query.type,
      cursor,
      query.limit + 1,
    );
    return toPage(rows, query.limit, toDto);
  }

  async get(botId: string, moduleId: string): Promise<ModuleInstanceDto> {
    return toDto(await this.load(botId, moduleId, this.dataSource.manager));
  }

  async update(botId: string, moduleId: string, dto: UpdateModuleDto): Promise<ModuleInstanceDto> {
    return this.dataSource.transaction(async (tx) => {
      const instance = await this.load(botId, moduleId, tx, true);
      if (dto.name !== undefined) instance.name = dto.name;
      if (dto.config !== undefined) {
        const handler = this.handler(instance.type);
        instance.config = await validateAs(handler.configClass, dto.config, 'config');
        await this.lockReferences(botId, this.configRefs(handler, instance.config), tx);
      }
      return toDto(await tx.save(instance));
    });
  }

  /** Deletes an instance nothing uses; otherwise 409 MODULE_IN_USE naming every user. */
  async remove(botId: string, moduleId: string): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      // FOR UPDATE waits for writers that are adding a reference (they hold FOR KEY SHARE).
      await this.load(botId, moduleId, tx, true);
      const usedBy = [
        ...(await this.usedByModules(botId, moduleId, tx)),
        ...(await this.bots.moduleUsages(botId, moduleId, tx)),
      ];
      for (const finder of this.usageFinders)
        usedBy.push(...(await finder.moduleUsages(botId, moduleId, tx)));
      if (usedBy.length > 0) throw ModuleErrors.inUse(usedBy);
      await tx.delete(ModuleInstance, { id: moduleId, botId });
    });
  }

  /**
   * Checks that every reference points at a module instance of the bot and keeps those instances
   * from being deleted until `tx` ends. Missing ones are a 400 naming each field.
   */
  async lockReferences(botId: string, refs: ModuleRef[], tx: EntityManager): Promise<void> {
    if (refs.length === 0) return;
    const ids = [...new Set(refs.map((ref) => ref.moduleId))];
    const found = await lockInstances(tx, botId, ids);
    const missing = refs.filter((ref) => !found.has(ref.moduleId)).map((ref) => ref.field);
    if (missing.length > 0) throw ModuleErrors.missingReferences(missing);
  }

  /** Module references inside Creator content, with field paths under `field`. */
  contentRefs(content: Content, field: string): ModuleRef[] {
    return this.creator
      .moduleRefs(content)
      .map((ref) => ({ field: `${field}.${ref.field}`, moduleId: ref.moduleId }));
  }

  /** What the user gets on entering the instance, or null when it no longer exists. */
  async enter(botId: string, moduleId: string, tx?: EntityManager): Promise<ModuleAnswer | null> {
    const manager = tx ?? this.dataSource.manager;
    const instance = await memoInTransaction(manager, `module:${botId}:${moduleId}`, () =>
      instanceView(manager, botId, moduleId),
    );
    if (!instance) return null;
    return this.registry.get(instance.type)?.enter(instance) ?? null;
  }

  /** The module references of a bot's welcome and fallback must be this bot's instances. */
  async checkAnswerSettings(
    botId: string,
    settings: BotAnswerSettings,
    tx: EntityManager,
  ): Promise<void> {
    const refs = settings.welcome ? this.contentRefs(settings.welcome, 'welcome') : [];
    if (settings.fallbackModuleId)
      refs.push({ field: 'fallbackModuleId', moduleId: settings.fallbackModuleId });
    await this.lockReferences(botId, refs, tx);
  }

  private configRefs(handler: ModuleTypeHandler, config: Record<string, unknown>): ModuleRef[] {
    // contentOf reads the validated plain config; its content has the Content shape.
    return Object.entries(handler.contentOf(config)).flatMap(([path, content]) =>
      this.contentRefs(content, `config.${path}`),
    );
  }

  private async usedByModules(
    botId: string,
    moduleId: string,
    tx: EntityManager,
  ): Promise<ModuleUsage[]> {
    const rows = await instancesLinkingTo(tx, botId, moduleId);
    return rows.map((row) => ({ kind: 'module', id: row.id, name: row.name }));
  }

  private handler(type: string): ModuleTypeHandler {
    const handler = this.registry.get(type);
    if (!handler) throw ModuleErrors.unknownType(type, this.registry.types());
    return handler;
  }

  private async load(
    botId: string,
    moduleId: string,
    manager: EntityManager,
    lock = false,
  ): Promise<ModuleInstance> {
    const instance = await manager.findOne(ModuleInstance, {
      where: { id: moduleId, botId },
      lock: lock ? { mode: 'pessimistic_write' } : undefined,
    });
    if (!instance) throw ModuleErrors.notFound();
    return instance;
  }
}
