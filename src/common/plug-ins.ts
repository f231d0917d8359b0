import { type DiscoverableDecorator, type DiscoveryService } from '@nestjs/core';

/** One provider marked with a plug-in decorator: the decorator's value and the provider. */
export interface PlugIn<T, I> {
  metadata: T;
  instance: I;
}

/**
 * The app's one plug-in mechanism: a point is a decorator made with Nest's
 * `DiscoveryService.createDecorator<T>()`; a provider marked with it plugs in, and the point's
 * owner finds every such provider here at start-up (onModuleInit), so a lower module is extended
 * by higher ones without importing them. Used for channel senders, module types, maintenance
 * tasks, module usage finders and answer-settings checks. `I` is the interface the point expects
 * of its providers; the decorator's users implement it.
 */
export function findPlugIns<T, I>(
  discovery: DiscoveryService,
  decorator: DiscoverableDecorator<T>,
): PlugIn<T, I>[] {
  return discovery
    .getProviders({ metadataKey: decorator.KEY })
    .filter((wrapper) => wrapper.instance)
    .map((wrapper) => ({
      metadata: discovery.getMetadataByDecorator(decorator, wrapper) as T,
      instance: wrapper.instance as I,
    }));
}
