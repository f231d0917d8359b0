import { type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ADMIN_ONLY, IS_PUBLIC } from '../common/http/access.decorators';

/** Who may call a route: decided by AuthGuard from the same metadata. */
export type RouteAccess = 'public' | 'admin' | 'bot';

export const ACCESS_DESCRIPTIONS: Record<RouteAccess, string> = {
  public: 'Access: public, no token.',
  admin: 'Access: the admin token only; a bot API key gets 403 FORBIDDEN.',
  bot:
    'Access: the admin token, or an API key of this bot; with a key of another bot it answers ' +
    '404 as for a bot that does not exist.',
};

function metadata(key: string, ...targets: object[]): boolean {
  return targets.some((target) => Reflect.getMetadata(key, target) === true);
}

/**
 * The access rule of every controller method, keyed `<Controller>_<method>` (the OpenAPI operation
 * id). A bot key is refused on admin-only routes and on routes without `{botId}` (AuthGuard).
 */
export function routeAccess(app: INestApplication): Map<string, RouteAccess> {
  const access = new Map<string, RouteAccess>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new () => object) | null;
      if (!controller) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined) continue;
        const botScoped = `${base}/${path}`.includes(':botId');
        const rule: RouteAccess = metadata(IS_PUBLIC, handler, controller)
          ? 'public'
          : metadata(ADMIN_ONLY, handler, controller) || !botScoped
            ? 'admin'
            : 'bot';
        access.set(`${controller.name.replace(/Controller$/, '')}_${name}`, rule);
      }
    }
  }
  return access;
}
