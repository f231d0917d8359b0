import { type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Content } from '../creator';

/** What entering a module produces: content to send and effects on the conversation. */
export interface ModuleAnswer {
  content: Content | null;
  /**
   * Hand the conversation to a human agent once the content is sent; the bot then stays silent.
   * `targetAppId`: the app a channel with thread ownership (Messenger) passes the thread to; null
   * for the channel's default.
   */
  handover?: { note: string | null; targetAppId?: string | null };
}

export interface ModuleInstanceView<C = Record<string, unknown>> {
  id: string;
  botId: string;
  name: string;
  type: string;
  config: C;
}

/**
 * One kind of module. Implementations are providers marked with @ModuleType('name'); the registry
 * finds them at start-up, so a new type plugs in without touching the registry.
 */
export interface ModuleTypeHandler<C extends object = object> {
  /** The DTO class validating this type's `config` (class-validator, unknown properties rejected). */
  readonly configClass: Type<C>;
  /**
   * Creator content inside the config, whose module references must point into the same bot, by
   * its path in the config (`content`, `steps[0].content`): errors name the field with it.
   */
  contentOf(config: C): Record<string, Content>;
  /** What the user gets when a conversation enters an instance of this type. */
  enter(instance: ModuleInstanceView<C>): ModuleAnswer;
}

/** Marks a ModuleTypeHandler provider with its type name (`@ModuleType('message')`). */
export const ModuleType = DiscoveryService.createDecorator<string>();
