import { isUUID } from 'class-validator';

const PREFIX = 'MODULE:';

/** The postback / quick reply payload that starts module instance `moduleId`. */
export function modulePayload(moduleId: string): string {
  return `${PREFIX}${moduleId}`;
}

/**
 * The module id in a payload a user sent back, lower-cased, or null for anything that is not
 * exactly `MODULE:<uuid>` (payloads come from the outside: Get Started buttons, old bots, forgers).
 */
export function parseModulePayload(payload: string | undefined | null): string | null {
  if (typeof payload !== 'string' || !payload.startsWith(PREFIX)) return null;
  const id = payload.slice(PREFIX.length);
  // Same rule as the `moduleId` fields, so every id that can be saved can be parsed back.
  return isUUID(id, 'all') ? id.toLowerCase() : null;
}
