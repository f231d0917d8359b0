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

/** A part of a page envelope that is not what Meta's shape says (see parseEnvelope). */
export interface MalformedPart {
  /** The entry's page id, when the entry had a usable one. */
  pageId: string | null;
  /** What is wrong, naming the place: `entry[1].messaging[0] is not an object`. */
  reason: string;
  /** The part itself (the entry, or the list or item). */
  value: unknown;
}

/**
 * Every item of every entry, from `messaging` and `standby`. Throws EnvelopeError for a body that is
 * no page envelope (not an object, `object` not "page", no `entry` array). A part inside it that is
 * not Meta's shape (an entry that is no object or has no page id, a `messaging` that is no array, an
 * item that is no object) throws too, unless `malformed` is given: then the part is pushed there and
 * the rest of the delivery is read, so one odd part never costs the others their handling.
 */
export function parseEnvelope(body: unknown, malformed?: MalformedPart[]): EnvelopeItem[] {
  if (!isObject(body)) throw new EnvelopeError('the body is not a JSON object');
  if (body.object !== 'page') throw new EnvelopeError('"object" must be "page"');
  if (!Array.isArray(body.entry)) throw new EnvelopeError('"entry" must be an array');
  const bad = (part: MalformedPart): void => {
    if (!malformed) throw new EnvelopeError(part.reason);
    malformed.push(part);
  };
  const items: EnvelopeItem[] = [];
  body.entry.forEach((entry: unknown, index) => {
    if (!isObject(entry))
      return bad({ pageId: null, reason: `entry[${index}] is not an object`, value: entry });
    const pageId = idString(entry.id);
    if (!pageId)
      return bad({ pageId: null, reason: `entry[${index}].id is not a page id`, value: entry });
    const entryTime = typeof entry.time === 'number' ? entry.time : null;
    for (const [field, standby] of [
      ['messaging', false],
      ['standby', true],
    ] as const) {
      const list = entry[field];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        bad({ pageId, reason: `entry[${index}].${field} must be an array`, value: list });
        continue;
      }
      list.forEach((item: unknown, position) => {
        if (!isObject(item))
          return bad({
            pageId,
            reason: `entry[${index}].${field}[${position}] is not an object`,
            value: item,
          });
        items.push({ pageId, standby, entryTime, item });
      });
    }
  });
  return items;
}
