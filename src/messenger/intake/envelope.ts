/**
 * The webhook envelope, checked by hand: class-validator costs several times the throughput on this
 * path, and Meta's items vary too much in shape for a fixed schema. Anything not a page envelope is
 * rejected whole; item contents are read leniently later (Meta adds fields over time).
 */

export type MessagingItem = Record<string, unknown>;

export interface EnvelopeItem {
  pageId: string;
  /** From `entry[].standby`: another app owns the thread; we record but do not answer. */
  standby: boolean;
  /** `entry[].time`, used when an item has no usable timestamp of its own. */
  entryTime: number | null;
  item: MessagingItem;
}

export class EnvelopeError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idString(value: unknown): string | null {
  if (typeof value === 'string' && /^\d{1,32}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return null;
}

/**
 * The `object` of a delivery for something other than a page (`instagram`, `user`, `permissions`,
 * ...), which Meta sends to the same callback when an app subscribes to it; null for a page
 * envelope or a body that is no envelope at all. Such deliveries are acknowledged, not read.
 */
export function otherObject(body: unknown): string | null {
  if (!isObject(body) || typeof body.object !== 'string' || body.object === 'page') return null;
  return body.object;
}

/** The first entry's id, when it looks like one: where an ignored delivery came from. */
export function firstEntryId(body: unknown): string | null {
  const entry = isObject(body) && Array.isArray(body.entry) ? (body.entry[0] as unknown) : null;
  return isObject(entry) ? idString(entry.id) : null;
}

/** Every item of every entry, from `messaging` and `standby`. Throws EnvelopeError otherwise. */
export function parseEnvelope(body: unknown): EnvelopeItem[] {
  if (!isObject(body)) throw new EnvelopeError('the body is not a JSON object');
  if (body.object !== 'page') throw new EnvelopeError('"object" must be "page"');
  if (!Array.isArray(body.entry)) throw new EnvelopeError('"entry" must be an array');
  const items: EnvelopeItem[] = [];
  body.entry.forEach((entry: unknown, index) => {
    if (!isObject(entry)) throw new EnvelopeError(`entry[${index}] is not an object`);
    const pageId = idString(entry.id);
    if (!pageId) throw new EnvelopeError(`entry[${index}].id is not a page id`);
    const entryTime = typeof entry.time === 'number' ? entry.time : null;
    for (const [field, standby] of [
      ['messaging', false],
      ['standby', true],
    ] as const) {
      const list = entry[field];
      if (list === undefined) continue;
      if (!Array.isArray(list))
        throw new EnvelopeError(`entry[${index}].${field} must be an array`);
      list.forEach((item: unknown, position) => {
        if (!isObject(item))
          throw new EnvelopeError(`entry[${index}].${field}[${position}] is not an object`);
        items.push({ pageId, standby, entryTime, item });
      });
    }
  });
  return items;
}
